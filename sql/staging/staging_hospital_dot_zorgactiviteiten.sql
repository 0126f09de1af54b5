-- stg_dot_zorgactiviteiten: the accepted activities, typed, with their source row number.
-- grain: one row per accepted input row (its declaratie_id is an accepted stg_dot line)
with accepted as (
    select * from accepted_dot_zorgactiviteiten
),

final as (
    select
        row_number,
        declaratie_id,
        zorgactiviteit_code,
        datum,
        cast(aantal as double) as aantal
    from accepted
)

select * from final
