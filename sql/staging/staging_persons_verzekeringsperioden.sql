-- stg_verzekeringsperioden: the accepted insured periods, typed, with their source row number.
-- grain: one row per accepted input row (einddatum NULL = still insured at period end)
with accepted as (
    select * from accepted_verzekeringsperioden
),

final as (
    select
        row_number,
        persoon_id,
        begindatum,
        einddatum
    from accepted
)

select * from final
