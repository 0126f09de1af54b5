-- stg_wmo: the accepted wmo lines, typed, with their source row number.
-- grain: one row per accepted input row; credit lines and exact duplicates are still here
with accepted as (
    select * from accepted_wmo
),

final as (
    select
        row_number,
        declaratie_id,
        persoon_id,
        gemeente_code,
        productcategorie,
        product_code,
        begindatum,
        einddatum,
        cast(volume as double) as volume,
        eenheid,
        cast(bedrag as double) as bedrag,
        leveringsvorm,
        credit_voor_id
    from accepted
)

select * from final
