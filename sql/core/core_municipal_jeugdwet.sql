-- core_jeugdwet: net care — exact duplicates, credit lines and the lines they cancel removed.
-- grain: one row per net Jeugdwet line (declaratie_id unique); credit_voor_id is dropped
-- materialized: view (one-to-one with the staged rows it keeps)
-- Netting is decided during validation (extract/rows.py, netting_sql): netting_jeugdwet lists
-- the staged rows that are not net care (later copies of a line, credit lines, the lines
-- they cancel), so this is the staged table without them — no aggregate, no sort.
with staged as (
    select * from stg_jeugdwet
),

removed as (
    select row_number from netting_jeugdwet
),

net as (
    select staged.*
    from staged
    anti join removed on removed.row_number = staged.row_number
),

final as (
    select
        declaratie_id,
        persoon_id,
        gemeente_code,
        productcategorie,
        product_code,
        begindatum,
        einddatum,
        volume,
        eenheid,
        bedrag,
        leveringsvorm
    from net
)

select * from final
