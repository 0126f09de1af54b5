-- stg_wlz_declaraties: the accepted Wlz lines, typed, with their source row number.
-- grain: one row per accepted input row; credit lines and exact duplicates are still here
with accepted as (
    select * from accepted_wlz_declaraties
),

final as (
    select
        row_number,
        declaratie_id,
        persoon_id,
        leveringsvorm,
        prestatie_code,
        meerzorg = '1' as meerzorg,
        begindatum,
        einddatum,
        cast(aantal as double) as aantal,
        eenheid,
        cast(bedrag as double) as bedrag,
        credit_voor_id
    from accepted
)

select * from final
