-- One row per lead of `leads` (latest row), current attributes, no raw PII:
-- the email only as a salted hash (macro email_hash).
{{ config(materialized='incremental_by_lead') }}
with

lead_attributes as (
    select * from {{ ref('int_lead_attributes') }}
    where {{ only_affected_leads('lead_id') }}
),

latest_events as (
    -- the lead's current stage interval, already ordered by the timeline mart
    select
        lead_id,
        stage as current_stage,
        entered_at as current_stage_entered_at
    from {{ ref('fct_lead_stage_history') }}
    where is_current and {{ only_affected_leads('lead_id') }}
),

final as (
    select
        lead_attributes.lead_id,
        lead_attributes.created_at,
        {{ as_reporting_time('lead_attributes.created_at') }} as created_at_local,
        lead_attributes.updated_at,
        lead_attributes.lead_source,
        lead_attributes.channel,
        lead_attributes.segment,
        lead_attributes.region,
        lead_attributes.industry,
        lead_attributes.is_existing_customer,
        lead_attributes.motion,
        lead_attributes.priority,
        lead_attributes.owner_id,
        lead_attributes.email_hash,
        latest_events.current_stage,
        latest_events.current_stage_entered_at,
        lead_attributes.merged_lead_ids
    from lead_attributes
    left join latest_events
        on lead_attributes.lead_id = latest_events.lead_id
    where not lead_attributes.is_orphan_lead
)

select * from final
