"""The Grafana dashboard and the Prometheus config name only what the service really exports:
every metric in a panel's query appears in a live scrape of the API's /metrics or of a worker's
Temporal SDK metrics after a case ran."""

from __future__ import annotations

import json
import re
from pathlib import Path

import asyncpg
import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment

from core.temporal import connect_temporal
from infra.embedded import free_port
from service.metrics import DOMAIN_METRICS
from tests.core.test_telemetry import _file_and_wait, _settings, _stack

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "inquiry-service.json"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_RANGES = re.compile(r"\[[^\]]*\]")
_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (functions and label lists left out)."""
    bare = _RANGES.sub("", _GROUPING.sub("", _MATCHERS.sub("", _STRINGS.sub("", expr))))
    return {
        m.group()
        for m in _NAME.finditer(bare)
        if not bare[m.end() :].lstrip().startswith("(")
        and m.group() not in {"by", "without", "bool", "offset"}
    }


def _exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if panel["type"] != "row"
    ]


def _sample_names(text: str) -> set[str]:
    """The series names as Prometheus stores them: taken from the lines themselves, since the
    client's parser adds _total to counters exposed without it (the SDK's, e.g. temporal_request)."""
    assert list(text_string_to_metric_families(text))  # well-formed exposition text
    return {
        re.split(r"[{ ]", line, maxsplit=1)[0]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_metric_names_are_read_from_queries() -> None:
    expr = 'histogram_quantile(0.95, sum by (le, handler) (rate(x_bucket{status=~"5xx"}[5m])))'
    assert metric_names(expr) == {"x_bucket"}
    assert metric_names("sum(increase(max by (c) (intake_total)[1h:]))") == {"intake_total"}


async def test_every_dashboard_query_names_an_exported_metric(
    pool: asyncpg.Pool, temporal_env: WorkflowEnvironment, database_url: str
) -> None:
    address = f"127.0.0.1:{free_port()}"
    settings = _settings(temporal_env, database_url, worker_metrics_address=address)
    client = await connect_temporal(settings, worker_metrics=True)
    async with _stack(settings, client, pool) as http:
        await _file_and_wait(http, pool)
        api = await http.get("/metrics")
        assert api.status_code == 200
        async with httpx.AsyncClient(timeout=10) as scraper:
            worker = (await scraper.get(f"http://{address}/metrics")).text
    exported = _sample_names(api.text) | _sample_names(worker)
    # Families with no rows yet (a fresh stack has no stuck case) still count as declared.
    exported |= set(DOMAIN_METRICS)

    used = {name for expr in _exprs() for name in metric_names(expr)}
    assert used, "the dashboard has no queries"
    assert used <= exported, sorted(used - exported)
    assert set(DOMAIN_METRICS) <= used  # every domain family is on the dashboard


def test_prometheus_scrapes_the_api_and_the_workers() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text(encoding="utf-8"))
    targets = {
        (sd["names"][0], sd["port"], job.get("metrics_path", "/metrics"))
        for job in config["scrape_configs"]
        for sd in job.get("dns_sd_configs", [])
    }
    assert ("api", 8000, "/metrics") in targets
    assert ("worker", 9464, "/metrics") in targets
