{#-
    salesforce_raw_views(has_event): (name, select) of the contract's three
    raw relations, built from the raw.sf_<table> views (docs/contract.md,
    "Salesforce"), and the lead groups they share; register_raw_files()
    makes them tables, each computed once per run, where views would be
    computed again by every reader (docs/performance.md, "Issue 23"):
    - sf_lead_groups: each lead id's latest row, the lead its merges lead to
      (master_record_id, followed through chains) and its state: kept,
      merged (deleted with a master) or deleted (without one);
    - lead_status_history: the status field's rows of lead_history, under
      the surviving lead, each with the reason field's row saved with it;
      plus one initial status per merge group, at its earliest created_date;
    - leads: every lead row, merged and deleted ones with the connector's
      verdict; a kept lead is created when its group was;
    - activities: tasks (and events) of a lead or of the contact a converted
      lead became.
-#}
{% macro salesforce_raw_views(has_event) %}
    {% set lead_fields = var('salesforce_lead_fields') %}
    {% set latest_columns = "_raw_row_number, lead_key, is_deleted, master_key, contact_key, created_date,"
        ~ " synced, status, is_deleted and master_key is not null as is_merged" %}
    {% set lead_groups_sql %}
with recursive

lead_rows as (
    select
        _raw_row_number,
        nullif({{ trim_text('id') }}, '') as lead_key,
        {{ connector_truthy('is_deleted') }} as is_deleted,
        nullif({{ trim_text('master_record_id') }}, '') as master_key,
        nullif({{ trim_text('converted_contact_id') }}, '') as contact_key,
        {{ trim_text('created_date') }} as created_date,
        {{ trim_text('_fivetran_synced') }} as synced,
        status,
        last_modified_date
    from raw.sf_lead
),

repeated_keys as (
    -- ids on more than one row (an append-only sync): only these need a window
    select lead_key from lead_rows
    where lead_key is not null
    group by lead_key
    having count(*) > 1
),

latest_leads as (
    -- each id's latest row; merged: deleted with a master
    select {{ latest_columns }} from lead_rows
    where lead_key is not null and lead_key not in (select lead_key from repeated_keys)
    union all
    select {{ latest_columns }} from (
        select
            *,
            row_number() over (
                partition by lead_key
                order by synced desc nulls last, last_modified_date desc nulls last,
                    _raw_row_number desc
            ) as row_rank
        from lead_rows
        where lead_key in (select lead_key from repeated_keys)
    ) as repeated_rows
    where row_rank = 1
),

merge_chains (lead_key, survivor_key, depth) as (
    -- a merged lead counts as the lead its master leads to
    select lead_key, lead_key, 0 from latest_leads
    where not is_merged
    union all
    select losers.lead_key, merge_chains.survivor_key, merge_chains.depth + 1
    from latest_leads as losers
    inner join merge_chains on losers.master_key = merge_chains.lead_key
    where losers.is_merged and merge_chains.depth < 100
),

resolved as (
    -- unresolved chains (a master not in the table) end at the named master
    select
        latest_leads.*,
        coalesce(merge_chains.survivor_key, latest_leads.master_key, latest_leads.lead_key)
            as survivor_key
    from latest_leads
    left join merge_chains on latest_leads.lead_key = merge_chains.lead_key
),

merged_starts as (
    -- the earliest creation among a group's merged members (a few groups)
    select survivor_key, min(created_date) as created_date
    from resolved
    where is_merged
    group by survivor_key
),

lead_groups as (
    select
        resolved.*,
        coalesce(survivors.is_deleted and survivors.master_key is null, false) as is_group_deleted,
        survivors._raw_row_number as survivor_row_number,
        merged_starts.survivor_key is not null as has_merged_members,
        -- the group's earliest creation: its kept lead's, or a merged member's
        least(
            case when not survivors.is_merged then survivors.created_date end,
            merged_starts.created_date
        ) as group_created_date
    from resolved
    left join latest_leads as survivors on resolved.survivor_key = survivors.lead_key
    left join merged_starts on resolved.survivor_key = merged_starts.survivor_key
)

select * from lead_groups
    {% endset %}

    {% set common %}
with

lead_groups as (
    select * from raw.sf_lead_groups
),

history_rows as (
    select
        _raw_row_number,
        nullif({{ trim_text('id') }}, '') as history_id,
        nullif({{ trim_text('lead_id') }}, '') as lead_key,
        lower({{ trim_text('field') }}) as field,
        old_value,
        new_value,
        {{ trim_text('created_date') }} as created_date,
        created_by_id,
        {{ connector_truthy('is_deleted') }} as is_deleted,
        {{ trim_text('_fivetran_synced') }} as synced
    from raw.sf_lead_history
),

status_rows as (
    select * from history_rows
    where field = {{ sql_string(var('salesforce_status_field') | lower) }}
)
    {% endset %}

    {% set reason_fields = var('salesforce_reason_fields') %}
    {% set founder_columns = "lead_key, survivor_key, created_date, status, synced, survivor_row_number" %}
    {% set status_sql %}
{{ common }},

reasons as (
    -- the reason field's row saved with the status: same lead, same time
    select
        lead_key,
        created_date,
        new_value as reason,
        row_number() over (
            partition by lead_key, created_date
            order by case field
                {%- for field in reason_fields %} when {{ sql_string(field | lower) }} then {{ loop.index }}{% endfor %}
            end, _raw_row_number desc
        ) as reason_rank
    from history_rows
    where field in ({{ sf_list(reason_fields) if reason_fields else "''" }})
        and not is_deleted and nullif({{ trim_text('new_value') }}, '') is not null
),

first_changes as (
    -- each lead's first status row's old value: its initial status
    select
        lead_key,
        {{ first_by('old_value', ['created_date', 'history_id']) }} as old_value
    from status_rows
    where not is_deleted
    group by lead_key
),

founders as (
    -- a merge group is created once: at its earliest created_date, with that
    -- member's initial status; the others' creations are no status changes.
    -- A group without merged members is its lead alone.
    select {{ founder_columns }} from lead_groups
    where not is_group_deleted and not has_merged_members
    union all
    select {{ founder_columns }} from (
        select
            *,
            row_number() over (
                partition by survivor_key order by created_date nulls last, lead_key
            ) as founder_rank
        from lead_groups
        where not is_group_deleted and has_merged_members
    ) as members
    where founder_rank = 1
),

merged_or_deleted as (
    -- the leads whose rows move or leave; any other lead is its own survivor
    select * from lead_groups
    where is_merged or is_group_deleted
)

select
    status_rows.history_id as event_id,
    coalesce(lead_groups.survivor_key, status_rows.lead_key) as lead_id,
    status_rows.old_value as old_status,
    status_rows.new_value as new_status,
    status_rows.created_date as changed_at,
    status_rows.created_by_id as changed_by,
    reasons.reason,
    -- a merge moves a row to another lead: it arrives again with the merge
    case
        when lead_groups.is_merged then greatest(status_rows.synced, lead_groups.synced)
        else status_rows.synced
    end as _loaded_at,
    status_rows._raw_row_number,
    'lead_history' as _raw_table,
    -- a merge moved the row from this lead: an incremental run rebuilds both
    case when lead_groups.is_merged then status_rows.lead_key end as _moved_from,
    case when status_rows.is_deleted or lead_groups.is_group_deleted then 'deleted_in_crm' end
        as _source_issue,
    case
        when status_rows.is_deleted then 'is_deleted is true in lead_history'
        when lead_groups.is_group_deleted
            then 'lead ' || lead_groups.survivor_key || ' is deleted in Salesforce'
    end as _source_detail
from status_rows
left join merged_or_deleted as lead_groups on status_rows.lead_key = lead_groups.lead_key
left join reasons
    on status_rows.lead_key = reasons.lead_key
    and status_rows.created_date = reasons.created_date
    and reasons.reason_rank = 1
union all
select
    'created:' || founders.survivor_key as event_id,
    founders.survivor_key as lead_id,
    null as old_status,
    coalesce(first_changes.old_value, founders.status) as new_status,
    founders.created_date as changed_at,
    null as changed_by,
    null as reason,
    founders.synced as _loaded_at,
    -founders.survivor_row_number as _raw_row_number,
    'lead' as _raw_table,
    null as _moved_from,
    null as _source_issue,
    null as _source_detail
from founders
left join first_changes on founders.lead_key = first_changes.lead_key
where founders.survivor_row_number is not null
    {% endset %}

    {% set leads_sql %}
select
    sf_lead.id as lead_id,
    case
        when not lead_groups.is_merged then lead_groups.group_created_date
        else {{ trim_text('sf_lead.created_date') }}
    end as created_at,
    {{ trim_text('sf_lead.last_modified_date') }} as updated_at,
    sf_lead.lead_source,
    {%- for attribute in ['channel', 'segment', 'region'] %}
    {{ 'sf_lead.' ~ lead_fields[attribute] if lead_fields.get(attribute) else 'null' }} as {{ attribute }},
    {%- endfor %}
    sf_lead.industry,
    {{ 'sf_lead.' ~ lead_fields['is_existing_customer'] if lead_fields.get('is_existing_customer') else 'null' }}
        as is_existing_customer,
    sf_lead.email,
    sf_lead.company,
    sf_lead.owner_id,
    {{ trim_text('sf_lead._fivetran_synced') }} as _loaded_at,
    sf_lead._raw_row_number,
    'lead' as _raw_table,
    merged_ids.merged_lead_ids as _merged_lead_ids,
    case
        when lead_groups.is_merged then 'merged_lead'
        when lead_groups.is_group_deleted then 'deleted_in_crm'
    end as _source_issue,
    case
        when lead_groups.is_merged then 'merged into lead ' || lead_groups.survivor_key
        when lead_groups.is_group_deleted
            then 'lead ' || lead_groups.survivor_key || ' is deleted in Salesforce'
    end as _source_detail
from raw.sf_lead as sf_lead
left join raw.sf_lead_groups as lead_groups on nullif({{ trim_text('sf_lead.id') }}, '') = lead_groups.lead_key
left join (
    -- the ids merged into each kept lead, for dim_leads
    select
        survivor_key,
        {{ dbt.listagg('lead_key', "';'", "order by lead_key") }} as merged_lead_ids
    from raw.sf_lead_groups
    where is_merged
    group by survivor_key
) as merged_ids
    on lead_groups.survivor_key = merged_ids.survivor_key and not lead_groups.is_merged
    {% endset %}

    {% set activities_sql %}
with

lead_groups as (
    select * from raw.sf_lead_groups
),

merged_or_deleted as (
    -- the leads whose tasks move or leave; any other lead keeps its own
    select * from lead_groups
    where is_merged or is_group_deleted
),

contacts as (
    -- the contact a converted lead became; tasks move to it on conversion
    select
        contact_key,
        survivor_key,
        is_group_deleted,
        row_number() over (partition by contact_key order by created_date, lead_key) as contact_rank
    from lead_groups
    where contact_key is not null
),

activity_rows as (
    {%- for table, time_column, sign in [('task', 'completed_date_time', ''), ('event', 'activity_date_time', '-')]
        if table == 'task' or has_event %}
    {{ 'union all' if not loop.first }}
    select
        id, type, owner_id, {{ sign }}_raw_row_number as _raw_row_number,
        {{ sql_string(table) }} as raw_table,
        {{ trim_text('who_id') }} as who_text,
        {{ connector_truthy('is_deleted') }} as is_deleted,
        coalesce(nullif({{ trim_text(time_column) }}, ''), {{ trim_text('created_date') }}) as occurred_at,
        {{ trim_text('_fivetran_synced') }} as synced
    from raw.sf_{{ table }}
    {%- endfor %}
)

select
    activity_rows.id as activity_id,
    coalesce(lead_groups.survivor_key, contacts.survivor_key, activity_rows.who_text) as lead_id,
    activity_rows.type as activity_type,
    activity_rows.occurred_at,
    activity_rows.owner_id as performed_by,
    activity_rows.synced as _loaded_at,
    activity_rows._raw_row_number,
    activity_rows.raw_table as _raw_table,
    case when lead_groups.is_merged then nullif(activity_rows.who_text, '') end as _moved_from,
    case
        when activity_rows.is_deleted
            or coalesce(lead_groups.is_group_deleted, contacts.is_group_deleted, false)
            then 'deleted_in_crm'
    end as _source_issue,
    case
        when activity_rows.is_deleted
            then 'is_deleted is true in ' || activity_rows.raw_table
        when coalesce(lead_groups.is_group_deleted, contacts.is_group_deleted, false)
            then 'lead ' || coalesce(lead_groups.survivor_key, contacts.survivor_key)
            || ' is deleted in Salesforce'
    end as _source_detail
from activity_rows
left join merged_or_deleted as lead_groups
    on nullif(activity_rows.who_text, '') = lead_groups.lead_key
left join contacts
    on nullif(activity_rows.who_text, '') = contacts.contact_key
    and contacts.contact_rank = 1
    {% endset %}
    {{ return([
        ('sf_lead_groups', lead_groups_sql),
        ('lead_status_history', status_sql),
        ('leads', leads_sql),
        ('activities', activities_sql),
    ]) }}
{% endmacro %}
