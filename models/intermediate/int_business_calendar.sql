-- One row per calendar day (vars calendar_start_date..calendar_end_date) with
-- its business window in the business time zone and the business seconds of
-- all earlier days, so business time between two instants is a difference of
-- two look-ups (macro business_seconds_at).
with

holidays as (
    select * from {{ ref('holidays') }}
),

days as (
    {{ calendar_days(
        "cast('" ~ var('calendar_start_date') ~ "' as date)",
        "cast('" ~ var('calendar_end_date') ~ "' as date)",
    ) }}
),

windows as (
    select
        days.calendar_date,
        {{ iso_day_of_week('days.calendar_date') }} <= 5 and holidays.holiday_date is null
            as is_business_day,
        {{ add_minutes(
            'cast(days.calendar_date as timestamp)', 60 * var("business_day_start_hour") | int
        ) }} as opens_at,
        case
            when {{ iso_day_of_week('days.calendar_date') }} <= 5 and holidays.holiday_date is null
                then ({{ var("business_day_end_hour") }} - {{ var("business_day_start_hour") }})
                    * 3600.0
            else 0.0
        end as business_seconds
    from days
    left join holidays
        on days.calendar_date = holidays.holiday_date
),

final as (
    select
        calendar_date,
        is_business_day,
        opens_at,
        business_seconds,
        coalesce(sum(business_seconds) over (
            order by calendar_date
            rows between unbounded preceding and 1 preceding
        ), 0.0) as business_seconds_before
    from windows
)

select * from final
