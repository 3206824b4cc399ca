{#-
    Handoff cycles (docs/contract.md, "Handoffs"), as expressions the per-lead
    window in base_crm__lead_status_history evaluates in the same pass that
    numbers the events, so the timeline is sorted once (docs/performance.md).

    handoff_state(stage): what an event says about the lead's handoff. mql and
    assigned leave one open (true), a decision closes it (false), any other
    stage says nothing (null). Whether a handoff is open before an event is the
    last non-null state of the events before it.

    opens_handoff(stage, open_before): the event starts a handoff. Every entry
    to mql does; an assigned or accepted event does when none is open (a
    `direct` handoff).
-#}
{% macro handoff_state(stage) -%}
    case
        when {{ stage }} in ('mql', 'assigned') then true
        when {{ stage }} in ('accepted', 'recycled', 'disqualified') then false
    end
{%- endmacro %}


{% macro opens_handoff(stage, open_before) -%}
    ({{ stage }} = 'mql' or ({{ stage }} in ('assigned', 'accepted') and not {{ open_before }}))
{%- endmacro %}
