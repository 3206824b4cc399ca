{#-
    hubspot_raw_views(registered): (name, select) of the contract's three raw
    relations, built from the raw.hs_<table> views (docs/contract.md,
    "HubSpot"), and the contact groups they share; `registered` names the
    raw.hs_* views that exist (contact_merge_audit is optional):
    - hs_contact_groups: each contact id's latest row (or a merged id with no
      row of its own), the contact its merges lead to (hs_merged_object_ids,
      the older hs_calculated_merged_vids and contact_merge_audit, followed
      through chains), its state (kept, merged, deleted) and whether it is
      its group's founder, the member created first;
    - lead_status_history: the status property's history rows under the
      surviving contact, each old value the group's previous value, each
      with the reason property's row of the same contact and time; a merged
      member's creation value is no status change;
    - leads: every contact row, merged and deleted ones with the connector's
      verdict; a kept contact is created when its group was;
    - activities: one per engagement and contact.
-#}
{% macro hubspot_raw_views(registered) %}
    {% set properties = var('hubspot_contact_properties') %}
    {% set groups_sql %}
with recursive

contact_rows as (
    select
        *,
        row_number() over (
            partition by contact_key
            order by synced desc nulls last, modified desc nulls last, _raw_row_number desc
        ) as row_rank
    from (
        select
            _raw_row_number,
            nullif({{ trim_text('id') }}, '') as contact_key,
            {{ connector_truthy('_fivetran_deleted') }} as is_deleted,
            {{ hs_time('property_createdate') }} as created_date,
            {{ hs_time('property_lastmodifieddate') }} as modified,
            {{ hs_time('_fivetran_synced') }} as synced,
            property_hs_merged_object_ids as merged_object_ids,
            property_hs_calculated_merged_vids as calculated_merged_vids
        from raw.hs_contact
    ) as contacts
),

latest_contacts as (
    select * from contact_rows
    where row_rank = 1 and contact_key is not null
),

merge_pairs as (
    -- (merged id, the contact it was merged into), by every form HubSpot has kept
    select nullif({{ trim_text('merged_id') }}, '') as loser_key, contact_key as winner_key, 1 as form
    from (select contact_key, {{ split_to_rows('merged_object_ids', ';') }} as merged_id from latest_contacts) as listed
    union all
    select nullif(trim(split_part(merged_vid, ':', 1)), ''), contact_key, 2
    from (select contact_key, {{ split_to_rows('calculated_merged_vids', ';') }} as merged_vid from latest_contacts) as calculated
    {%- if 'hs_contact_merge_audit' in registered %}
    union all
    select nullif({{ trim_text('vid_to_merge') }}, ''), nullif({{ trim_text('canonical_vid') }}, ''), 3
    from raw.hs_contact_merge_audit
    {%- endif %}
),

merges as (
    -- one winner per merged id (the newest form first)
    select loser_key, winner_key
    from (
        select
            loser_key,
            winner_key,
            row_number() over (partition by loser_key order by form, winner_key) as pair_rank
        from merge_pairs
        where loser_key is not null and winner_key is not null and loser_key != winner_key
    ) as ranked
    where pair_rank = 1
),

members as (
    select contact_key from latest_contacts
    union
    select loser_key from merges
    union
    select winner_key from merges
),

merge_chains (contact_key, survivor_key, depth) as (
    -- a merged contact counts as the contact its winner leads to
    select contact_key, contact_key, 0 from members
    where contact_key not in (select loser_key from merges)
    union all
    select merges.loser_key, merge_chains.survivor_key, merge_chains.depth + 1
    from merges
    inner join merge_chains on merges.winner_key = merge_chains.contact_key
    where merge_chains.depth < 100
),

resolved as (
    -- a merge cycle (no survivor) ends at the winner it names
    select
        members.contact_key,
        coalesce(merge_chains.survivor_key, merges.winner_key, members.contact_key) as survivor_key,
        merges.loser_key is not null as is_merged
    from members
    left join merge_chains on members.contact_key = merge_chains.contact_key
    left join merges on members.contact_key = merges.loser_key
),

grouped as (
    select
        resolved.*,
        own.is_deleted,
        own.created_date,
        own.synced,
        own._raw_row_number,
        coalesce(survivors.is_deleted, false) as is_group_deleted,
        survivors.synced as survivor_synced,
        min(own.created_date) over (partition by resolved.survivor_key) as group_created_date,
        row_number() over (
            partition by resolved.survivor_key order by own.created_date nulls last, resolved.contact_key
        ) as founder_rank
    from resolved
    left join latest_contacts as own on resolved.contact_key = own.contact_key
    left join latest_contacts as survivors on resolved.survivor_key = survivors.contact_key
)

select * from grouped
    {% endset %}

    {% set reason_property = var('hubspot_reason_property') %}
    {% set status_sql %}
with

groups as (
    select * from raw.hs_contact_groups
),

history_rows as (
    select
        _raw_row_number,
        nullif({{ trim_text('contact_id') }}, '') as contact_key,
        lower({{ trim_text('name') }}) as property,
        value,
        {{ hs_time('timestamp') }} as changed_at,
        source,
        {{ hs_time('_fivetran_synced') }} as synced
    from raw.hs_contact_property_history
),

status_rows as (
    select
        history_rows.*,
        coalesce(groups.survivor_key, history_rows.contact_key) as lead_key,
        groups.is_merged,
        groups.is_group_deleted,
        groups.survivor_synced,
        -- a contact's creation value (its first row) is a status change only
        -- for its group's founder: a merge invents no handoff
        history_rows.changed_at = min(history_rows.changed_at) over (partition by history_rows.contact_key)
            and coalesce(groups.founder_rank, 1) > 1 as is_merged_creation
    from history_rows
    left join groups on history_rows.contact_key = groups.contact_key
    where history_rows.property = {{ sql_string(var('hubspot_status_property') | lower) }}
),

changes as (
    -- the old value is the group's value before, once per distinct change
    -- (re-sent rows are one change)
    select
        lead_key,
        changed_at,
        value,
        lag(value) over (partition by lead_key order by changed_at, value) as old_value
    from (
        select distinct lead_key, changed_at, value from status_rows
        where not is_merged_creation and not coalesce(is_group_deleted, false)
    ) as distinct_changes
){%- if reason_property %},

reasons as (
    -- the reason property's row saved with the status: same contact, same time
    select
        contact_key,
        changed_at,
        value as reason,
        row_number() over (partition by contact_key, changed_at order by _raw_row_number desc) as reason_rank
    from history_rows
    where property = {{ sql_string(reason_property | lower) }} and nullif({{ trim_text('value') }}, '') is not null
){%- endif %}

select
    status_rows.contact_key || '@' || status_rows.changed_at as event_id,
    status_rows.lead_key as lead_id,
    changes.old_value as old_status,
    status_rows.value as new_status,
    status_rows.changed_at,
    status_rows.source as changed_by,
    {{ 'reasons.reason' if reason_property else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as reason,
    -- a merge moves a row to another contact: it arrives again with the merge
    case
        when status_rows.is_merged then greatest(status_rows.synced, status_rows.survivor_synced)
        else status_rows.synced
    end as _loaded_at,
    status_rows._raw_row_number,
    'contact_property_history' as _raw_table,
    -- a merge moved the row from this lead: an incremental run rebuilds both
    case when status_rows.is_merged then status_rows.contact_key end as _moved_from,
    case
        when status_rows.is_group_deleted then 'deleted_in_crm'
        when status_rows.is_merged_creation then 'merged_lead'
    end as _source_issue,
    case
        when status_rows.is_group_deleted
            then 'contact ' || status_rows.lead_key || ' is deleted in HubSpot'
        when status_rows.is_merged_creation
            then 'the creation value of contact ' || status_rows.contact_key || ', merged into '
            || status_rows.lead_key
    end as _source_detail
from status_rows
left join changes
    on status_rows.lead_key = changes.lead_key
    and status_rows.changed_at = changes.changed_at
    and status_rows.value = changes.value
{%- if reason_property %}
left join reasons
    on status_rows.contact_key = reasons.contact_key
    and status_rows.changed_at = reasons.changed_at
    and reasons.reason_rank = 1
{%- endif %}
    {% endset %}

    {% set leads_sql %}
select
    hs_contact.id as lead_id,
    case
        when not groups.is_merged then groups.group_created_date
        else {{ hs_time('hs_contact.property_createdate') }}
    end as created_at,
    {{ hs_time('hs_contact.property_lastmodifieddate') }} as updated_at,
    {%- for attribute in ['lead_source', 'channel', 'segment', 'region', 'industry', 'is_existing_customer', 'email', 'company', 'owner_id'] %}
    {%- set property = {'email': 'email', 'company': 'company'}.get(attribute, properties.get(attribute)) %}
    {{ 'hs_contact.property_' ~ property if property else 'null' }} as {{ attribute }},
    {%- endfor %}
    {{ hs_time('hs_contact._fivetran_synced') }} as _loaded_at,
    hs_contact._raw_row_number,
    'contact' as _raw_table,
    merged_ids.merged_lead_ids as _merged_lead_ids,
    case
        when groups.is_merged then 'merged_lead'
        when groups.is_group_deleted then 'deleted_in_crm'
    end as _source_issue,
    case
        when groups.is_merged then 'merged into contact ' || groups.survivor_key
        when groups.is_group_deleted then 'contact ' || groups.survivor_key || ' is deleted in HubSpot'
    end as _source_detail
from raw.hs_contact as hs_contact
left join raw.hs_contact_groups as groups on nullif({{ trim_text('hs_contact.id') }}, '') = groups.contact_key
left join (
    -- the ids merged into each kept contact, for dim_leads
    select
        survivor_key,
        {{ ordered_listagg('contact_key', ';') }} as merged_lead_ids
    from raw.hs_contact_groups
    where is_merged
    group by survivor_key
) as merged_ids
    on groups.survivor_key = merged_ids.survivor_key and not groups.is_merged
    {% endset %}

    {% set activities_sql %}
with

associations as (
    select
        nullif({{ trim_text('engagement_id') }}, '') as engagement_key,
        nullif({{ trim_text('contact_id') }}, '') as contact_key,
        {{ hs_time('_fivetran_synced') }} as synced,
        _raw_row_number
    from raw.hs_engagement_contact
),

engagements as (
    select
        *
    from (
        select
            nullif({{ trim_text('id') }}, '') as engagement_key,
            type,
            -- when it happened (timestamp), not when it was logged (created_at)
            {{ hs_time('timestamp') }} as occurred_at,
            owner_id,
            {{ hs_time('_fivetran_synced') }} as synced,
            row_number() over (
                partition by nullif({{ trim_text('id') }}, '') order by _fivetran_synced desc nulls last, _raw_row_number desc
            ) as row_rank
        from raw.hs_engagement
    ) as ranked
    where row_rank = 1
)

select
    associations.engagement_key || '@' || coalesce(groups.survivor_key, associations.contact_key)
        as activity_id,
    coalesce(groups.survivor_key, associations.contact_key) as lead_id,
    engagements.type as activity_type,
    engagements.occurred_at,
    engagements.owner_id as performed_by,
    case
        when groups.is_merged then greatest(associations.synced, engagements.synced, groups.survivor_synced)
        else greatest(associations.synced, engagements.synced)
    end as _loaded_at,
    associations._raw_row_number,
    'engagement_contact' as _raw_table,
    case when groups.is_merged then associations.contact_key end as _moved_from,
    case when groups.is_group_deleted then 'deleted_in_crm' end as _source_issue,
    case
        when groups.is_group_deleted then 'contact ' || groups.survivor_key || ' is deleted in HubSpot'
    end as _source_detail
from associations
left join engagements on associations.engagement_key = engagements.engagement_key
left join raw.hs_contact_groups as groups on associations.contact_key = groups.contact_key
    {% endset %}
    {{ return([
        ('hs_contact_groups', groups_sql),
        ('lead_status_history', status_sql),
        ('leads', leads_sql),
        ('activities', activities_sql),
    ]) }}
{% endmacro %}
