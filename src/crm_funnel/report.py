"""The funnel report: one self-contained HTML file a person opens.

Every funnel number on the page is a metric of the semantic layer
(crm_funnel.metrics), queried by name; its label and meaning come from the
metric's YAML, listed at the foot of the page. The data-quality section reads
the quality marts (`dq_load_summary`, `rpt_data_quality_daily`). Charts are
Vega-Lite specs made with altair and rendered to SVG by vl-convert when the
report is written, so the page has no script and loads nothing: it opens the
same with no network (docs/report.md).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from crm_funnel.metrics import Metric, SemanticLayer

# the SAL rate a healthy funnel lands in (docs/report.md)
SAL_TARGET_BAND = (0.75, 0.85)
# the weekly table and charts; the headline adds the rates of the whole funnel
WEEKLY = [
    "mql_handoffs",
    "sal_rate",
    "median_tta_hours",
    "p90_tta_hours",
    "median_ttft_hours",
    "p90_ttft_hours",
    "accept_sla_compliance",
    "first_touch_sla_compliance",
    "pending_past_sla",
]
HEADLINE = WEEKLY + ["recycle_rate", "disqualify_rate", "recycled_then_accepted_share"]
BY_SOURCE = ["mql_handoffs", "sal_rate", "median_tta_hours", "accept_sla_compliance"]
RECYCLING = ["recycled_mql_handoffs", "recycled_then_accepted", "recycled_then_accepted_share"]
WEEK = "metric_time__week"
MONTH = "metric_time__month"


@dataclass
class ReportData:
    """Everything the page shows, as queried; rendering does no arithmetic."""

    warehouse: Path
    as_of: dt.datetime | None
    catalog: dict[str, Metric]
    headline: dict
    weekly: list[dict]
    by_source: list[dict]
    reasons: list[dict]
    rejections: dict
    recycling: list[dict]
    load_summary: list[dict]
    drops_by_day: list[dict]
    sla_policy: list[dict] = field(default_factory=list)


def _rows(connection, sql: str) -> list[dict]:
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def gather(layer: SemanticLayer) -> ReportData:
    """Query every number of the report from the layer's warehouse."""
    connection = layer.connection
    headline = layer.query(HEADLINE)[0]
    weekly = layer.query(WEEKLY, [WEEK])
    by_source = layer.query(BY_SOURCE, ["handoff__lead_source", "handoff__segment"])
    reasons = layer.query(["rejections"], ["rejection__reason_code"])
    reasons.sort(key=lambda row: (-row["rejections"], row["rejection__reason_code"]))
    rejections = layer.query(["rejections", "unknown_reason_share"])[0]
    recycling = layer.query(RECYCLING, [MONTH])
    as_of = connection.execute("select as_of from intermediate.int_run_as_of").fetchone()
    load_summary = _rows(
        connection,
        "select source, raw_rows, clean_rows, dropped_rows, flagged_rows"
        " from main.dq_load_summary order by source",
    )
    drops_by_day = _rows(
        connection,
        "select load_date, source, dropped_rows from main.rpt_data_quality_daily"
        " order by load_date, source",
    )
    sla_policy = _rows(
        connection,
        "select priority, accept_sla_hours, first_touch_sla_hours"
        " from reference.sla_policy order by accept_sla_hours",
    )
    return ReportData(
        warehouse=layer.warehouse,
        as_of=as_of[0] if as_of else None,
        catalog=layer.catalog,
        headline=headline,
        weekly=weekly,
        by_source=by_source,
        reasons=reasons,
        rejections=rejections,
        recycling=recycling,
        load_summary=load_summary,
        drops_by_day=drops_by_day,
        sla_policy=sla_policy,
    )


def kind(metric: str) -> str:
    """How a metric's value reads: a share, hours, or a count."""
    if metric.endswith(("_rate", "_compliance", "_share")):
        return "share"
    if "hours" in metric:
        return "hours"
    return "count"


def shown(metric: str, value) -> str:
    """The text a reader sees for a metric's value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if kind(metric) == "share":
        return f"{value:.1%}"
    if kind(metric) == "hours":
        return f"{value:.1f} h"
    return f"{int(value):,}"


def write_report(layer: SemanticLayer, path: Path) -> Path:
    """Gather, render and write the report atomically (a reader never sees half)."""
    from crm_funnel.report_page import render

    page = render(gather(layer))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(page, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def default_report_path(warehouse: Path) -> Path:
    """Where `crm-funnel build` writes the report: next to the warehouse."""
    return warehouse.with_name(f"{warehouse.stem}_report.html")
