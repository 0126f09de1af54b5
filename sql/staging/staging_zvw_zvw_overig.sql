-- stg_zvw_overig: the accepted lines of other Zvw care, typed, with their source row number.
-- grain: one row per accepted input row; credit lines and exact duplicates are still here
with accepted as (
    select * from accepted_zvw_overig
),

final as (
    select
        row_number,
        declaratie_id,
        persoon_id,
        zorgsoort,
        prestatie_code,
        begindatum,
        einddatum,
        cast(aantal as double) as aantal,
        eenheid,
        cast(bedrag as double) as bedrag,
        leveringsvorm,
        credit_voor_id
    from accepted
)

select * from final
