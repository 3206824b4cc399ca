"""The report's page: charts (altair -> Vega-Lite -> SVG) and tables in one HTML file.

Only layout lives here. Every funnel number arrives from crm_funnel.report as
a metric's value; each value cell carries `data-metric` (the metric's name)
and `data-value` (its full-precision value), so a reader, and the browser
test, can trace any number to its one definition.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import altair as alt
import vl_convert
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from crm_funnel.report import (
    BY_SOURCE,
    HEADLINE,
    MONTH,
    RECYCLING,
    SAL_TARGET_BAND,
    WEEK,
    WEEKLY,
    ReportData,
    kind,
    shown,
)

WIDTH = 620
HEIGHT = 220
# weeks as ordinal labels (their Monday), so no renderer shifts them by a zone
WEEK_AXIS = alt.X("week:O", title="MQL week (Monday)", axis=alt.Axis(labelAngle=-45))


def _iso(value) -> str | None:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return value


def _svg(chart: alt.TopLevelMixin) -> Markup:
    """Render a chart to inline SVG (vl-convert runs Vega-Lite without a browser)."""
    svg = vl_convert.vegalite_to_svg(chart.to_dict(validate=False))
    return Markup(svg)  # noqa: S704 - vl-convert's own SVG, data values are escaped by it


def start_chart_runtime() -> None:
    """vl-convert starts its JavaScript runtime with its first chart (about
    0.35 s): an empty one, so the report's first chart does not wait."""
    vl_convert.vegalite_to_svg({"data": {"values": []}, "mark": "point"})


def weekly_lines(weekly: list[dict], series: dict[str, str], title: str) -> alt.Chart:
    """One line per metric (series: legend label -> metric) over the MQL weeks;
    shares get a 0-100% axis."""
    points = [
        {"week": _iso(row[WEEK]), "series": label, "value": row[metric]}
        for row in weekly
        for label, metric in series.items()
        if row[metric] is not None
    ]
    share = all(kind(metric) == "share" for metric in series.values())
    y = alt.Y("value:Q", title=title)
    if share:
        y = alt.Y("value:Q", title=title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    color = alt.Color("series:N", title=None, legend=None if len(series) == 1 else alt.Legend())
    return (
        alt.Chart(alt.Data(values=points))
        .mark_line(point=True)
        .encode(x=WEEK_AXIS, y=y, color=color)
    )


def sal_chart(weekly: list[dict]) -> Markup:
    low, high = SAL_TARGET_BAND
    band = (
        alt.Chart(alt.Data(values=[{"low": low, "high": high}]))
        .mark_rect(color="#2e7d32", opacity=0.15)
        .encode(y="low:Q", y2="high:Q")
    )
    line = weekly_lines(weekly, {"SAL rate": "sal_rate"}, "SAL rate")
    return _svg((band + line).properties(width=WIDTH, height=HEIGHT))


def duration_chart(
    weekly: list[dict], median: str, p90: str, slas: list[dict], sla_column: str, title: str
) -> Markup:
    """Median and p90 of a duration by week, with each priority's SLA dashed."""
    lines = weekly_lines(weekly, {"median": median, "p90": p90}, title)
    rules = [
        {"hours": float(policy[sla_column]), "label": f"SLA {policy['priority']}"}
        for policy in slas
    ]
    sla = alt.Chart(alt.Data(values=rules)).mark_rule(strokeDash=[4, 4], color="#b71c1c")
    sla = sla.encode(y="hours:Q")
    text = (
        alt.Chart(alt.Data(values=rules))
        .mark_text(align="left", dx=4, dy=-6, color="#b71c1c")
        .encode(y="hours:Q", x=alt.value(0), text="label:N")
    )
    return _svg((lines + sla + text).properties(width=WIDTH, height=HEIGHT))


def compliance_chart(weekly: list[dict]) -> Markup:
    series = {"accept": "accept_sla_compliance", "first touch": "first_touch_sla_compliance"}
    return _svg(
        weekly_lines(weekly, series, "SLA compliance").properties(width=WIDTH, height=HEIGHT)
    )


def drops_chart(drops: list[dict]) -> Markup:
    points = [
        {"day": _iso(row["load_date"]), "source": row["source"], "dropped": row["dropped_rows"]}
        for row in drops
    ]
    chart = (
        alt.Chart(alt.Data(values=points))
        .mark_bar()
        .encode(
            x=alt.X("day:T", title="load day"),
            y=alt.Y("dropped:Q", title="raw rows dropped", stack="zero"),
            color=alt.Color("source:N", title=None),
        )
    )
    return _svg(chart.properties(width=WIDTH, height=160))


def recycling_chart(recycling: list[dict]) -> Markup:
    points = [
        {"month": _iso(row[MONTH]), "what": label, "handoffs": row[metric]}
        for row in recycling
        for label, metric in (
            ("recycled", "recycled_mql_handoffs"),
            ("recycled, then accepted", "recycled_then_accepted"),
        )
    ]
    chart = (
        alt.Chart(alt.Data(values=points))
        .mark_bar()
        .encode(
            x=alt.X("month:O", title="MQL month"),
            xOffset="what:N",
            y=alt.Y("handoffs:Q", title="MQL handoffs"),
            color=alt.Color("what:N", title=None),
        )
    )
    return _svg(chart.properties(width=WIDTH, height=160))


def cell(metric: str, value, tag: str = "td") -> Markup:
    """A value (a table cell, or a span) that names its metric and keeps the
    unrounded value."""
    raw = "" if value is None else repr(value)
    return Markup(
        f'<{tag} class="num" data-metric="{html.escape(metric)}" data-value="{html.escape(raw)}">'
        f"{html.escape(shown(metric, value))}</{tag}>"
    )


def render(data: ReportData) -> str:
    """The whole page as one string."""
    # Altair checks every chart object and data point against the Vega-Lite
    # schema as it is made (a second at 1M leads); these specs are fixed, and
    # vl-convert compiles each one, failing on a wrong spec
    with alt.utils.schemapi.debug_mode(False):
        charts = _charts(data)
    return _page(data, charts)


def _charts(data: ReportData) -> dict[str, Markup]:
    weekly = data.weekly
    charts = {}
    if weekly:
        charts["sal"] = sal_chart(weekly)
        charts["tta"] = duration_chart(
            weekly,
            "median_tta_hours",
            "p90_tta_hours",
            data.sla_policy,
            "accept_sla_hours",
            "time to accept (h)",
        )
        charts["ttft"] = duration_chart(
            weekly,
            "median_ttft_hours",
            "p90_ttft_hours",
            data.sla_policy,
            "first_touch_sla_hours",
            "time to first touch (h)",
        )
        charts["compliance"] = compliance_chart(weekly)
    if data.recycling:
        charts["recycling"] = recycling_chart(data.recycling)
    if data.drops_by_day:
        charts["drops"] = drops_chart(data.drops_by_day)
    return charts


def _page(data: ReportData, charts: dict[str, Markup]) -> str:
    catalog = data.catalog
    used = list(
        dict.fromkeys(
            HEADLINE + WEEKLY + BY_SOURCE + RECYCLING + ["rejections", "unknown_reason_share"]
        )
    )
    environment = Environment(
        loader=FileSystemLoader(Path(__file__).with_name("templates")), autoescape=True
    )
    environment.globals.update(cell=cell, shown=shown, kind=kind, iso=_iso)
    return environment.get_template("report.html.j2").render(
        data=data,
        catalog=catalog,
        charts=charts,
        headline_metrics=HEADLINE,
        weekly_metrics=WEEKLY,
        source_metrics=BY_SOURCE,
        recycling_metrics=RECYCLING,
        glossary=[catalog[name] for name in used],
        band=SAL_TARGET_BAND,
        top_reasons=data.reasons[:10],
        WEEK=WEEK,
        MONTH=MONTH,
    )
