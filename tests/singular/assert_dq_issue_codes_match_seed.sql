-- The issue codes of macro dq_issue_codes (one report column each) and of the
-- seed dq_issue_types (their descriptions) are the same set.
{%- set codes = [] %}
{%- for action in ['dropped', 'flagged'] %}
{%- for code in dq_issue_codes(action) %}
{%- do codes.append((code, action)) %}
{%- endfor %}
{%- endfor %}

with

macro_codes as (
    {%- for code, action in codes %}
    select
        '{{ code }}' as issue,
        '{{ action }}' as action
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

seed_codes as (
    select
        issue,
        action
    from {{ ref('dq_issue_types') }}
),

only_in_macro as (
    select * from macro_codes
    except
    select * from seed_codes
),

only_in_seed as (
    select * from seed_codes
    except
    select * from macro_codes
)

select
    'only in macro dq_issue_codes' as problem,
    *
from only_in_macro
union all
select
    'only in seed dq_issue_types' as problem,
    *
from only_in_seed
