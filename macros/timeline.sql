{#-
    The lead timeline (docs/contract.md, "Event order" and "Handoffs").

    event_order(): the contract's order of one lead's events: changed_at, then
    the funnel's stage order, so ties at the same second follow the funnel.
    Kept events are unique by lead, stage and changed_at, and stage_order is
    unique, so this order is total. int_lead_events_ordered numbers the
    events by it; base_crm__lead_status_history uses it to find a stage that
    repeats the previous one.
-#}
{% macro event_order() -%}
    changed_at, stage_order
{%- endmacro %}


{#-
    handoff_state(stage, is_decision_stage): what an event says about the
    lead's handoff. mql and assigned leave one open (true), a decision stage
    (seed funnel_stages, is_decision) closes it (false), any other stage says
    nothing (null). Whether a handoff is open before an event is the last
    non-null state of the events before it.
-#}
{% macro handoff_state(stage, is_decision_stage) -%}
    case
        when {{ stage }} in ('mql', 'assigned') then true
        when {{ is_decision_stage }} then false
    end
{%- endmacro %}


{#-
    opens_handoff(stage, open_before): the event starts a handoff. Every entry
    to mql does; an assigned or accepted event does when none is open (a
    `direct` handoff).
-#}
{% macro opens_handoff(stage, open_before) -%}
    ({{ stage }} = 'mql' or ({{ stage }} in ('assigned', 'accepted') and not {{ open_before }}))
{%- endmacro %}
