-- stg_verzekeringsperioden: the accepted insured periods, typed, with their source row number.
-- grain: one row per accepted input row (einddatum NULL = still insured at period end)
with accepted as (
    select * from accepted_verzekeringsperioden
),

final as (
    select
        row_number,
        persoon_id,
        cast(strptime(begindatum, '%Y-%m-%d') as date) as begindatum,
        cast(strptime(einddatum, '%Y-%m-%d') as date) as einddatum
    from accepted
)

select * from final
