{#-
    business_seconds_at(local_ts, calendar): business seconds from the start of
    the calendar up to local_ts, where `calendar` is the alias of the
    int_business_calendar row joined on local_ts's date. The business time
    between two instants is the difference of two of these.
-#}
{% macro business_seconds_at(local_ts, calendar) -%}
    {{ calendar }}.business_seconds_before + least(
        greatest({{ hours_between(calendar ~ '.opens_at', local_ts) }} * 3600.0, 0.0),
        {{ calendar }}.business_seconds
    )
{%- endmacro %}


{#-
    sal_rate_measures(): the funnel measures shared by rpt_sal_rates_weekly and
    rpt_sal_rates_by_source, over rows of fct_lead_handoffs. Rates are ratios of
    sums over the group (docs/contract.md, "Metrics"), percentiles continuous.
-#}
{% macro sal_rate_measures() -%}
    count(*) as mql_handoffs,
    count(*) filter (where decision = 'accepted') as accepted,
    count(*) filter (where decision = 'recycled') as recycled,
    count(*) filter (where decision = 'disqualified') as disqualified,
    count(*) filter (where decision = 'pending') as pending,
    {{ ratio("count(*) filter (where decision = 'accepted')", 'count(*)') }} as sal_rate,
    {{ ratio("count(*) filter (where decision = 'recycled')", 'count(*)') }} as recycle_rate,
    {{ ratio("count(*) filter (where decision = 'disqualified')", 'count(*)') }}
        as disqualify_rate,
    {{ continuous_percentile('tta_hours', 0.5, "decision != 'pending'") }} as median_tta_hours,
    {{ continuous_percentile('tta_hours', 0.9, "decision != 'pending'") }} as p90_tta_hours,
    {{ continuous_percentile('ttft_hours', 0.5) }} as median_ttft_hours,
    {{ ratio(
        "count(*) filter (where is_accept_sla_met and decision != 'pending')",
        "nullif(count(*) filter (where decision != 'pending'), 0)",
    ) }} as accept_sla_compliance,
    count(*) filter (where is_pending_past_sla) as pending_past_sla
{%- endmacro %}
