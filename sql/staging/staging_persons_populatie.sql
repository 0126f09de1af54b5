-- stg_populatie: the accepted denominator cells, typed, with their source row number.
-- grain: one row per accepted input row (year x age x sex x province)
with accepted as (
    select * from accepted_populatie
),

final as (
    select
        row_number,
        cast(cast(jaar as double) as integer) as jaar,
        cast(cast(leeftijd as double) as integer) as leeftijd,
        geslacht,
        provincie_code,
        cast(cast(aantal as double) as integer) as aantal
    from accepted
)

select * from final
