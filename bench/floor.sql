-- The floor: the weekly SAL mart computed straight from the raw files in one
-- hand-written DuckDB query, with the contract's cleaning rules that decide
-- handoffs (event_id re-sends and corrections, duplicate content, blank lead,
-- unparseable or future timestamps, unknown status, repeated stage), handoff
-- cycles, TTA and first touch. No framework, no intermediate tables.
-- {events}, {activities}: a read_csv/read_parquet call; {seeds}: the seeds folder.
create temporary macro iso_ts(x) as case
    when regexp_full_match(
        trim(x), '\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?'
    )
        then case
            when right(trim(x), 1) = 'Z' then try_cast(left(trim(x), -1) as timestamp)
            when substr(trim(x), length(trim(x)) - 5, 1) in ('+', '-')
                then try_cast(trim(x) as timestamptz) at time zone 'UTC'
            else try_cast(trim(x) as timestamp)
        end
end;
create temporary macro label(x) as nullif(lower(trim(regexp_replace(x, '\s+', ' ', 'g'))), '');

copy (
with
-- the export's labels: a row for one CRM only (column crm, e.g. HubSpot's `new`) is not the export's
status_map as (
    select raw_label, stage
    from read_csv('{seeds}/status_map.csv', header = true, all_varchar = true)
    where crm is null or crm = ''
),
stage_order as (
    select stage, stage_order::int as stage_order
    from read_csv('{seeds}/funnel_stages.csv', header = true, all_varchar = true)
),
outreach as (
    select activity_type from read_csv('{seeds}/activity_types.csv', header = true, all_varchar = true)
    where is_outreach = 'true'
),
events as (
    select
        nullif(trim(e.event_id), '') as event_id,
        nullif(trim(e.lead_id), '') as lead_id,
        m.stage,
        o.stage_order,
        iso_ts(e.changed_at) as changed_at,
        iso_ts(e._loaded_at) as loaded_at,
        md5_number(concat_ws(chr(31), coalesce(e.lead_id, chr(30)), coalesce(e.old_status, chr(30)),
            coalesce(e.new_status, chr(30)), coalesce(e.changed_at, chr(30)),
            coalesce(e.changed_by, chr(30)), coalesce(e.reason, chr(30)))) as content_key
    from {events} as e
    left join status_map as m on label(e.new_status) = m.raw_label
    left join stage_order as o on m.stage = o.stage
),
latest_copy as (
    select * from events
    qualify event_id is null or row_number() over (
        partition by event_id order by loaded_at desc nulls last, content_key desc
    ) = 1
),
one_per_content as (
    select * from latest_copy
    qualify lead_id is null or stage is null or changed_at is null or row_number() over (
        partition by lead_id, stage, changed_at order by event_id nulls last, content_key
    ) = 1
),
valid as (
    select * from one_per_content
    where lead_id is not null and changed_at is not null and loaded_at is not null
        and changed_at <= loaded_at + interval 5 minute and stage is not null
),
kept as (
    select * from valid
    qualify stage is distinct from lag(stage) over (
        partition by lead_id order by changed_at, stage_order, event_id nulls last, content_key
    )
),
cycled as (
    select
        *,
        coalesce(last_value(case when stage in ('mql', 'assigned') then true
            when stage in ('accepted', 'recycled', 'disqualified') then false end ignore nulls)
            over (w rows between unbounded preceding and 1 preceding), false) as was_open
    from kept
    window w as (partition by lead_id order by changed_at, stage_order, event_id nulls last, content_key)
),
numbered as (
    select
        *,
        stage = 'mql' or (stage in ('assigned', 'accepted') and not was_open) as starts,
        stage = 'accepted' or (stage in ('recycled', 'disqualified') and was_open) as decides,
        sum((stage = 'mql' or (stage in ('assigned', 'accepted') and not was_open))::int) over (
            partition by lead_id order by changed_at, stage_order, event_id nulls last, content_key
            rows between unbounded preceding and current row
        ) as handoff
    from cycled
),
handoffs as (
    select
        lead_id,
        handoff,
        min(changed_at) filter (where starts) as started_at,
        bool_or(starts and stage = 'mql') as via_mql,
        coalesce(min(changed_at) filter (where stage = 'assigned'), min(changed_at) filter (where starts)) as review_at,
        coalesce(any_value(stage) filter (where decides), 'pending') as decision,
        min(changed_at) filter (where decides) as decided_at
    from numbered
    where handoff > 0 and not (stage in ('recycled', 'disqualified') and not was_open)
    group by lead_id, handoff
),
bounded as (
    select *, lead(started_at) over (partition by lead_id order by handoff) as next_started_at
    from handoffs
),
activities as (
    select
        nullif(trim(a.activity_id), '') as activity_id,
        nullif(trim(a.lead_id), '') as lead_id,
        label(a.activity_type) as activity_type,
        iso_ts(a.occurred_at) as touched_at,
        iso_ts(a._loaded_at) as loaded_at,
        md5(concat_ws(chr(31), coalesce(a.activity_id, chr(30)), coalesce(a.lead_id, chr(30)),
            coalesce(a.activity_type, chr(30)), coalesce(a.occurred_at, chr(30)),
            coalesce(a.performed_by, chr(30)))) as content_key
    from {activities} as a
),
ranked_activities as (
    select *, row_number() over (
        partition by activity_id order by loaded_at desc nulls last, content_key desc
    ) as id_rank
    from activities
),
valid_touches as (
    select lead_id, touched_at from ranked_activities
    where (activity_id is null or id_rank = 1)
        and lead_id is not null and touched_at is not null and loaded_at is not null
        and touched_at <= loaded_at + interval 5 minute
        and activity_type in (select activity_type from outreach)
    union all
    select lead_id, changed_at from kept where stage = 'contacted'
),
first_touch as (
    select b.lead_id, b.handoff, min(t.touched_at) as first_touch_at
    from bounded as b
    inner join valid_touches as t
        on b.lead_id = t.lead_id and b.decision = 'accepted' and t.touched_at >= b.decided_at
        and (b.next_started_at is null or t.touched_at < b.next_started_at)
    group by b.lead_id, b.handoff
),
measured as (
    select
        cast(date_trunc('week', b.started_at) as date) as mql_week,
        b.decision,
        (epoch_us(b.decided_at) - epoch_us(b.review_at)) / 3600000000.0 as tta_hours,
        (epoch_us(f.first_touch_at) - epoch_us(b.decided_at)) / 3600000000.0 as ttft_hours
    from bounded as b
    left join first_touch as f on b.lead_id = f.lead_id and b.handoff = f.handoff
    where b.via_mql
)
select
    mql_week,
    count(*) as mql_handoffs,
    count(*) filter (where decision = 'accepted') as accepted,
    count(*) filter (where decision = 'recycled') as recycled,
    count(*) filter (where decision = 'disqualified') as disqualified,
    count(*) filter (where decision = 'pending') as pending,
    quantile_cont(tta_hours, 0.5) filter (where decision != 'pending') as median_tta_hours,
    quantile_cont(tta_hours, 0.9) filter (where decision != 'pending') as p90_tta_hours,
    quantile_cont(ttft_hours, 0.5) as median_ttft_hours
from measured
group by mql_week
order by mql_week
) to '{out}' (format parquet);
