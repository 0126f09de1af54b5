-- core_dot_zorgactiviteiten: activities of net hospital lines, with the person of their line.
-- grain: one row per activity of a net core_dot line (exact duplicates removed)
-- Activities of a credit line or of a line a credit cancelled leave with their line.
with staged as (
    select * from stg_dot_zorgactiviteiten
),

net_lines as (
    select declaratie_id, persoon_id from core_dot
),

deduplicated as (
    select declaratie_id, zorgactiviteit_code, datum, aantal, min(row_number) as row_number
    from staged
    group by declaratie_id, zorgactiviteit_code, datum, aantal
),

final as (
    select
        deduplicated.declaratie_id,
        net_lines.persoon_id,
        deduplicated.zorgactiviteit_code,
        deduplicated.datum,
        deduplicated.aantal
    from deduplicated
    inner join net_lines on net_lines.declaratie_id = deduplicated.declaratie_id
)

select * from final
