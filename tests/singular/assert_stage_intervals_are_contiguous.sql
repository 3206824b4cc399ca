-- A lead's stage intervals tile its timeline: each interval exits when the
-- next one enters, and only the last is current.
with

history as (
    select * from {{ ref('fct_lead_stage_history') }}
),

checked as (
    select
        lead_id,
        stage_sequence,
        exited_at,
        is_current,
        lead(entered_at) over (partition by lead_id order by stage_sequence) as next_entered_at
    from history
)

select *
from checked
where
    exited_at is distinct from next_entered_at
    or is_current != (next_entered_at is null)
