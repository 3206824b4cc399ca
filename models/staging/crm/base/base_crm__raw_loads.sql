-- What this build saw of the raw files, per file and load: the rows and the
-- content fingerprint that the next incremental run compares the raw files
-- with (base_crm__load_state). Built only after base_crm__load_state passed
-- and the three base models are rebuilt, so a refused or failed run leaves
-- the previous build's record in place.
-- depends_on: {{ ref('base_crm__lead_status_history') }}
-- depends_on: {{ ref('base_crm__leads') }}
-- depends_on: {{ ref('base_crm__activities') }}
with

load_state as (
    select * from {{ ref('base_crm__load_state') }}
),

final as (
    select
        source,
        loaded_at_text,
        loaded_at,
        raw_rows,
        content_fingerprint
    from load_state
    where raw_rows > 0
)

select * from final
