-- One row per lead that appears in leads or in the status log, with the
-- attributes the facts slice by. Leads missing from leads (orphans) still
-- count, with attributes 'unknown' (docs/contract.md, "Marts"). Priority and SLA
-- hours come from the lead source (seeds lead_source_priority, sla_policy).
{{ config(materialized='incremental_by_lead') }}
with

leads as (
    select * from {{ ref('stg_crm__leads') }}
    where {{ only_affected_leads('lead_id') }}
),

events as (
    select * from {{ ref('stg_crm__lead_status_history') }}
    where {{ only_affected_leads('lead_id') }}
),

lead_source_priority as (
    select * from {{ ref('lead_source_priority') }}
),

sla_policy as (
    select * from {{ ref('sla_policy') }}
),

all_lead_ids as (
    select lead_id from leads
    union
    select lead_id from events
),

attributed as (
    select
        all_lead_ids.lead_id,
        leads.lead_id is null as is_orphan_lead,
        leads.created_at,
        leads.updated_at,
        coalesce(leads.lead_source, 'unknown') as lead_source,
        coalesce(leads.channel, 'unknown') as channel,
        coalesce(leads.segment, 'unknown') as segment,
        coalesce(leads.region, 'unknown') as region,
        coalesce(leads.industry, 'unknown') as industry,
        leads.is_existing_customer,
        case
            when leads.lead_id is null then 'unknown'
            when leads.is_existing_customer then 'expansion'
            else 'new_business'
        end as motion,
        leads.owner_id,
        leads.email_hash,
        leads.merged_lead_ids,
        -- contract: every source not listed as high priority is standard
        coalesce(lead_source_priority.priority, 'standard') as priority
    from all_lead_ids
    left join leads
        on all_lead_ids.lead_id = leads.lead_id
    left join lead_source_priority
        on leads.lead_source = lead_source_priority.lead_source
),

final as (
    select
        attributed.*,
        sla_policy.accept_sla_hours,
        sla_policy.first_touch_sla_hours
    from attributed
    left join sla_policy
        on attributed.priority = sla_policy.priority
)

select * from final
