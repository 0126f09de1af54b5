-- cohort_llc_diagnosis: hospital lines that carry a life-limiting-condition (LLC) ICD-10 code.
-- Grain: one row per net hospital line (mart_diagnosis row) whose icd10_norm starts with a code
--        of the LLC code list loaded as ref_llc_fraser (codelists/llc_fraser_v1.csv).
-- Columns: persoon_id, declaratie_id, begindatum, einddatum, icd10_norm, code_norm, diagnostic_group
--
-- Plan
--   1. Match each line's normalised code against every code-list prefix (a three-character code
--      includes all its subcodes; a four-character code matches itself and any fifth character).
--      A code starts with a list code of length k when its first k characters equal it, so each
--      line is cut to its prefixes of the lengths the list uses and matched by an equality join
--      (a hash join: linear in the lines, where comparing every line with every code is not).
--   2. Keep the longest matching prefix so a line gets exactly one diagnostic group.
with

diagnosis as (
    select persoon_id, declaratie_id, begindatum, einddatum, icd10_norm
    from mart_diagnosis
    where icd10_norm is not null
),

codelist as (
    select code_norm, diagnostic_group
    from ref_llc_fraser
),

prefix_lengths as (
    select distinct length(code_norm) as k
    from codelist
),

line_prefixes as (
    select
        d.persoon_id,
        d.declaratie_id,
        d.begindatum,
        d.einddatum,
        d.icd10_norm,
        left(d.icd10_norm, p.k) as prefix
    from diagnosis as d
    inner join prefix_lengths as p on length(d.icd10_norm) >= p.k
),

matched as (
    select
        d.persoon_id,
        d.declaratie_id,
        d.begindatum,
        d.einddatum,
        d.icd10_norm,
        c.code_norm,
        c.diagnostic_group,
        row_number() over (
            partition by d.declaratie_id, d.persoon_id
            order by length(c.code_norm) desc, c.code_norm
        ) as match_rank
    from line_prefixes as d
    inner join codelist as c
        on c.code_norm = d.prefix
),

final as (
    select persoon_id, declaratie_id, begindatum, einddatum, icd10_norm, code_norm, diagnostic_group
    from matched
    where match_rank = 1
)

select * from final
