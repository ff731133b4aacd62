"""Static checks of the production deployment: docker-compose.yml, Dockerfile and deploy/.

No Docker engine runs here, so these check only what can actually break at `docker compose up`
and cannot be seen by reading one file: a reference that does not resolve. A dangling
depends_on, an undeclared volume, a bind mount of a missing file, a variable the example env
does not list, a CLI subcommand that does not exist, a search attribute the code uses but the
registration script does not create, a package the image would not install, a script that does
not parse. And the promises of the scaling setup, as far as the files can keep them: the api
publishes no fixed host port and runs replicas, the proxy's upstream names the api service and
port and re-resolves it, at least two workers, a health check on every long-running service
probing the port that service listens on, Prometheus and Grafana only in the `monitoring`
profile, Prometheus scraping every replica of the right services and ports, Grafana provisioned
from mounted folders, an image that does not run as root.

They do not prove that the images start, that nginx, Prometheus or Grafana accept their
configuration (none of them runs here), that the health checks' tools exist in the images, or
that the services reach each other.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DEPLOY = ROOT / "deploy"
REGISTER_SCRIPT = DEPLOY / "temporal" / "register.sh"
POSTGRES_INIT_SCRIPT = DEPLOY / "postgres" / "init-databases.sh"
NGINX_CONF = DEPLOY / "proxy" / "nginx.conf"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
GRAFANA = DEPLOY / "grafana"
HEALTH_ROUTES = ROOT / "api" / "routes" / "health.py"
MONITORING = {"prometheus", "grafana"}
# Given to a service before core/settings.py reads it. This test fails once it is a setting, so
# that the name is taken off this list (WORKER_METRICS_ADDRESS was, with the metrics work).
NOT_YET_A_SETTING: set[str] = set()
APP_SERVICES = ("migrate", "api", "worker")
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
# SearchAttributeKey.for_<kind>(...) in the Python SDK -> the type name the Temporal CLI takes.
SDK_KEY_TYPES = {
    "keyword": "Keyword",
    "text": "Text",
    "int": "Int",
    "float": "Double",
    "bool": "Bool",
    "datetime": "Datetime",
    "keyword_list": "KeywordList",
}
# Compose interpolation: $VAR or ${VAR...}; `$$` is a literal dollar and is skipped.
INTERPOLATION = re.compile(r"(?<!\$)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")
SECRET_NAME = re.compile(r"PASSWORD|SECRET")


def services() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data.get("services"), "docker-compose.yml has no services"
    return data["services"]


def declared_volumes() -> set[str]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return set((data.get("volumes") or {}).keys())


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """depends_on in either syntax, as {service: condition}."""
    raw = service.get("depends_on") or {}
    if isinstance(raw, list):
        return dict.fromkeys(raw, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in raw.items()}


def environment(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {key: "" if value is None else str(value) for key, value in raw.items()}


def volume_mounts(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(type, source, target) of every volume entry, short or long syntax."""
    mounts = []
    for entry in service.get("volumes") or []:
        if isinstance(entry, dict):
            mounts.append((entry.get("type", "volume"), entry.get("source", ""), entry["target"]))
            continue
        parts = entry.split(":")
        if len(parts) == 1:
            mounts.append(("volume", "", parts[0]))
            continue
        kind = "bind" if parts[0].startswith((".", "/", "~")) else "volume"
        mounts.append((kind, parts[0], parts[1]))
    return mounts


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line.strip())
        if match:
            values[match.group(1)] = match.group(2)
    return values


def compose_variables() -> dict[str, list[str]]:
    """Every interpolated variable -> the raw references to it in docker-compose.yml."""
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    for match in INTERPOLATION.finditer(text):
        name = match.group(1) or match.group(2)
        end = text.find("}", match.end()) + 1 if match.group(1) else match.end()
        found.setdefault(name, []).append(text[match.start() : end])
    return found


def strings_in(value: Any) -> list[str]:
    """Every string inside a parsed YAML value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings_in(k), *strings_in(v))]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def replicas(service: dict[str, Any]) -> int:
    """deploy.replicas as `docker compose up` reads it with .env.example's values."""
    value = (service.get("deploy") or {}).get("replicas", 1)
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"\$\{(\w+):-(\d+)\}", str(value))
    assert match, f"replicas {value!r}: a number or ${{VAR:-N}}"
    return int(env_example().get(match.group(1)) or match.group(2))


def health_url(service: dict[str, Any]) -> str:
    """The URL a Python health check fetches."""
    command = " ".join(strings_in((service.get("healthcheck") or {}).get("test")))
    match = re.search(r"urlopen\('([^']+)'", command)
    assert match, f"not a urlopen health check: {command}"
    return match.group(1)


def nginx_conf() -> str:
    return NGINX_CONF.read_text(encoding="utf-8")


def problems_report(problems: list[str]) -> str:
    return "\n".join(problems)


# ---- references between services ----


def test_every_depends_on_target_exists_with_a_valid_condition() -> None:
    all_services = services()
    problems = []
    for name, service in all_services.items():
        for target, condition in depends_on(service).items():
            if target not in all_services:
                problems.append(f"{name} depends on undefined service {target!r}")
            elif condition not in DEPENDS_ON_CONDITIONS:
                problems.append(f"{name} -> {target}: unknown condition {condition!r}")
            elif condition == "service_healthy" and not (
                all_services[target].get("healthcheck") or {}
            ).get("test"):
                problems.append(f"{name} waits for {target} to be healthy; it has no healthcheck")
    assert not problems, problems_report(problems)


def test_depends_on_graph_has_no_cycle() -> None:
    graph = {name: set(depends_on(service)) for name, service in services().items()}
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        assert node not in path, f"depends_on cycle: {' -> '.join([*path, node])}"
        if node in done:
            return
        for child in graph.get(node, ()):
            visit(child, [*path, node])
        done.add(node)

    for node in graph:
        visit(node, [])


def test_volumes_resolve() -> None:
    """Named volumes are declared; bind-mounted files exist in the repository."""
    declared = declared_volumes()
    problems = []
    for name, service in services().items():
        for kind, source, target in volume_mounts(service):
            if kind == "volume" and source and source not in declared:
                problems.append(f"{name}: named volume {source!r} is not declared")
            if kind == "bind" and not (ROOT / source).exists():
                problems.append(f"{name}: {source} (mounted at {target}) does not exist")
    assert not problems, problems_report(problems)


def test_database_names_agree_across_init_script_server_and_app() -> None:
    svc = services()
    created = set(
        re.findall(r"CREATE DATABASE (\w+)", POSTGRES_INIT_SCRIPT.read_text(encoding="utf-8"))
    )
    server, schema = environment(svc["temporal"]), environment(svc["temporal-schema"])
    assert server["DBNAME"] == schema["TEMPORAL_DB"]
    assert server["VISIBILITY_DBNAME"] == schema["TEMPORAL_VISIBILITY_DB"]
    app_db = environment(svc["api"])["DATABASE_URL"].rsplit("/", 1)[-1]
    missing = {server["DBNAME"], server["VISIBILITY_DBNAME"], app_db} - created
    assert not missing, f"init-databases.sh does not create {sorted(missing)}"


def test_namespace_job_and_app_use_the_same_namespace() -> None:
    svc = services()
    wanted = environment(svc["temporal-namespace"]).get("TEMPORAL_NAMESPACE")
    for app in ("api", "worker"):
        assert environment(svc[app]).get("TEMPORAL_NAMESPACE") == wanted, app


# ---- variables ----


def test_compose_variables_and_env_example_agree() -> None:
    documented, used = env_example().keys(), compose_variables().keys()
    assert not sorted(used - documented), f"add to .env.example: {sorted(used - documented)}"
    assert not sorted(documented - used), f"unused in compose: {sorted(documented - used)}"


def test_secrets_are_required_and_never_shipped() -> None:
    """A secret is `${NAME:?message}`, so `up` stops without it. Compose checks those even in
    services of a profile that is not started, so a secret used only by a profile's service is
    `${NAME:-}` instead, and that service's entrypoint refuses to start while it is empty."""
    problems = []
    for name, service in services().items():
        guard = " ".join(strings_in(service.get("entrypoint") or []))
        fed = {value: key for key, value in environment(service).items()}
        for text in strings_in(service):
            for match in INTERPOLATION.finditer(text):
                variable = match.group(1) or match.group(2)
                if not SECRET_NAME.search(variable):
                    continue
                reference = text[match.start() : text.find("}", match.end()) + 1]
                if reference.startswith(f"${{{variable}:?"):
                    continue
                key = fed.get(reference)
                if (
                    service.get("profiles")
                    and reference == f"${{{variable}:-}}"
                    and key
                    and f'-n "$${{{key}}}"' in guard
                ):
                    continue
                problems.append(f"{name}: {reference} must be `${{{variable}:?message}}`")
    problems += [
        f".env.example ships a value for {name}"
        for name, value in env_example().items()
        if SECRET_NAME.search(name) and value
    ]
    assert not problems, problems_report(problems)


def test_every_variable_given_to_the_application_is_a_setting() -> None:
    """A misspelt name in `environment:` is silently ignored by pydantic-settings."""
    problems = []
    for name in APP_SERVICES:
        for key in environment(services()[name]):
            if key.lower() in Settings.model_fields:
                continue
            if key in NOT_YET_A_SETTING:
                continue
            problems.append(f"{name}: {key} is not a field of core.settings.Settings")
    settled = sorted(k for k in NOT_YET_A_SETTING if k.lower() in Settings.model_fields)
    problems += [f"{key} is a setting now: remove it from NOT_YET_A_SETTING" for key in settled]
    assert not problems, problems_report(problems)


# ---- scaling: api replicas behind the proxy, several workers ----


def test_the_api_runs_replicas_and_publishes_no_fixed_port() -> None:
    api = services()["api"]
    assert not api.get("ports"), "a fixed host port lets one api replica start; the proxy publishes"
    assert "container_name" not in api, "a fixed container name allows only one replica"
    assert replicas(api) >= 2


def test_the_proxy_publishes_one_port_and_balances_over_the_api_service() -> None:
    svc = services()
    proxy, api_port = svc["proxy"], environment(svc["api"])["API_PORT"]
    assert len(proxy.get("ports") or []) == 1, "the proxy publishes the one public port"
    container_port = str(proxy["ports"][0]).rsplit(":", 1)[-1]
    conf = nginx_conf()
    assert re.search(rf"^\s*listen\s+{container_port}\s*;", conf, re.M), "published != listen"
    assert ("bind", "./deploy/proxy/nginx.conf") in {(k, s) for k, s, _ in volume_mounts(proxy)}
    upstreams = dict(re.findall(r"upstream\s+(\w+)\s*\{([^}]*)\}", conf))
    passes = re.findall(r"proxy_pass\s+http://(\w+)\s*;", conf)
    assert passes, "the proxy passes to no upstream"
    for upstream in passes:
        servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)\b([^;]*);", upstreams[upstream], re.M)
        assert [(host, port) for host, port, _ in servers] == [("api", api_port)], servers
        # Without `resolve` nginx keeps the replicas it found at start; with it, it follows
        # --scale through Docker's DNS (the resolver at 127.0.0.11 in every container).
        assert all("resolve" in params.split() for _, _, params in servers)
    assert re.search(r"^\s*resolver\s+127\.0\.0\.11\b", conf, re.M), "Docker's DNS"
    assert depends_on(proxy).get("api") == "service_healthy"


def test_the_api_sees_the_client_address_the_proxy_sets() -> None:
    """Rate limits and sign-in backoff count per client address (api/ratelimit.py): behind the
    proxy that is X-Forwarded-For, trusted by uvicorn only with FORWARDED_ALLOW_IPS, and only
    safe when the proxy overwrites the header instead of appending to what the client sent."""
    assert environment(services()["api"]).get("FORWARDED_ALLOW_IPS")
    headers = re.findall(r"proxy_set_header\s+X-Forwarded-For\s+(\S+);", nginx_conf(), re.I)
    assert headers == ["$remote_addr"], headers


def test_the_proxy_closes_an_idle_connection_to_the_api_before_the_api_does() -> None:
    """Whichever side closes an idle keep-alive connection first races the next request on it.
    When the API closes first, a POST nginx sends at that moment fails, and nginx does not send
    a POST to another replica: the citizen gets a 502. So the API must hold longer."""
    conf = nginx_conf()
    upstream = re.search(r"upstream\s+inquiry_api\s*\{([^}]*)\}", conf)
    assert upstream, "no inquiry_api upstream"
    assert re.search(r"^\s*keepalive\s+\d+\s*;", upstream.group(1), re.M), "no pooled upstream"
    proxy_holds = re.search(r"^\s*keepalive_timeout\s+(\d+)s\s*;", upstream.group(1), re.M)
    # Unset, nginx holds an idle upstream connection 60 s.
    proxy_seconds = int(proxy_holds.group(1)) if proxy_holds else 60
    api_env = environment(services()["api"])
    api_seconds = float(
        api_env.get(
            "API_KEEP_ALIVE_SECONDS", Settings.model_fields["api_keep_alive_seconds"].default
        )
    )
    assert api_seconds > proxy_seconds, (api_seconds, proxy_seconds)


def test_at_least_two_workers_poll_the_task_queue() -> None:
    worker = services()["worker"]
    assert "container_name" not in worker and not worker.get("ports")
    assert replicas(worker) >= 2


def test_the_workers_are_healthy_before_the_api_starts_cases() -> None:
    """A case carries the revision of the API that started it (workflows/revision.py): on an
    upgrade the workers of the new image must run before the API of the new image starts any."""
    api, worker = services()["api"], services()["worker"]
    assert api["depends_on"]["worker"] == {"condition": "service_healthy"}
    assert "api" not in worker["depends_on"]
    # Otherwise the two wait for the same services.
    assert {k: v for k, v in api["depends_on"].items() if k != "worker"} == worker["depends_on"]


def test_every_long_running_service_has_a_healthcheck() -> None:
    long_running = {
        name: service
        for name, service in services().items()
        if str(service.get("restart", "no")) != "no"
    }
    assert {"api", "worker", "proxy", "temporal", "postgresql"} <= set(long_running)
    problems = []
    for name, service in long_running.items():
        check = service.get("healthcheck") or {}
        if check.get("disable") or check.get("test") in (None, [], "NONE", ["NONE"]):
            problems.append(f"{name} runs for good and has no health check")
    assert not problems, problems_report(problems)


def test_the_app_health_checks_probe_what_the_processes_serve() -> None:
    svc = services()
    api_port = environment(svc["api"])["API_PORT"]
    api_url = health_url(svc["api"])
    assert api_url.startswith(f"http://127.0.0.1:{api_port}/"), api_url
    routes = re.findall(r"@router\.get\(\s*\"([^\"]+)\"", HEALTH_ROUTES.read_text(encoding="utf-8"))
    assert "/" + api_url.split("/", 3)[3] in routes, f"{api_url} is not a health route: {routes}"
    host, _, port = environment(svc["worker"])["WORKER_METRICS_ADDRESS"].rpartition(":")
    # All interfaces of the container: Prometheus scrapes the worker from another container.
    assert host == "0.0.0.0"  # noqa: S104
    assert health_url(svc["worker"]) == f"http://127.0.0.1:{port}/metrics"


# ---- monitoring profile ----


def test_prometheus_and_grafana_run_only_in_the_monitoring_profile() -> None:
    problems = []
    for name, service in services().items():
        profiles = service.get("profiles") or []
        if name in MONITORING and profiles != ["monitoring"]:
            problems.append(f"{name} must be in the monitoring profile only, is in {profiles}")
        if name not in MONITORING and profiles:
            problems.append(f"{name} is in {profiles}: it would not start with a plain `up`")
        if not profiles and set(depends_on(service)) & MONITORING:
            problems.append(f"{name} starts always but waits for {set(depends_on(service))}")
    assert not problems, problems_report(problems)


def test_prometheus_scrapes_every_api_and_worker_replica() -> None:
    svc = services()
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    jobs = config["scrape_configs"]
    metrics_port = environment(svc["worker"])["WORKER_METRICS_ADDRESS"].rpartition(":")[2]
    wanted = {"api": int(environment(svc["api"])["API_PORT"]), "worker": int(metrics_port)}
    for service_name, port in wanted.items():
        discoveries = [
            (job, sd)
            for job in jobs
            for sd in job.get("dns_sd_configs", [])
            if service_name in sd.get("names", [])
        ]
        assert discoveries, f"no job discovers the {service_name} replicas by DNS"
        for job, sd in discoveries:
            assert sd.get("type") == "A" and sd.get("port") == port, (job["job_name"], sd)
            assert job.get("metrics_path", "/metrics") == "/metrics"
    hosts = {name for job in jobs for sd in job.get("dns_sd_configs", []) for name in sd["names"]}
    hosts |= {
        target.rsplit(":", 1)[0]
        for job in jobs
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    assert hosts - {"127.0.0.1", "localhost"} <= set(svc), f"unknown hosts: {hosts - set(svc)}"
    mounts = {source: target for _, source, target in volume_mounts(svc["prometheus"])}
    config_arg = f"--config.file={mounts['./deploy/prometheus/prometheus.yml']}"
    assert config_arg in svc["prometheus"]["command"]


def test_grafana_is_provisioned_from_the_mounted_folders() -> None:
    svc = services()
    mounts = {target: source for kind, source, target in volume_mounts(svc["grafana"])}
    provisioning = ROOT / mounts["/etc/grafana/provisioning"]
    assert provisioning == GRAFANA / "provisioning"
    providers = [
        provider
        for path in sorted((provisioning / "dashboards").glob("*.y*ml"))
        for provider in yaml.safe_load(path.read_text(encoding="utf-8"))["providers"]
    ]
    assert providers, "no dashboard provider"
    for provider in providers:
        folder = provider["options"]["path"]
        assert folder in mounts, f"dashboards are read from {folder}, which is not mounted"
        assert (ROOT / mounts[folder]).resolve() == (GRAFANA / "dashboards").resolve()
    sources = [
        source
        for path in sorted((provisioning / "datasources").glob("*.y*ml"))
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["datasources"]
    ]
    prometheus_port = str(svc["prometheus"]["ports"][0]).rsplit(":", 1)[-1]
    assert [s["url"] for s in sources] == [f"http://prometheus:{prometheus_port}"]
    # A dashboard (the metrics work writes inquiry-service.json) must name a provisioned source.
    uids = {s["uid"] for s in sources}
    for dashboard in sorted((GRAFANA / "dashboards").glob("*.json")):
        used = set(re.findall(r'"datasource":\s*\{[^}]*"uid":\s*"([^"$]+)"', dashboard.read_text()))
        assert used <= uids, f"{dashboard.name} uses data sources {used - uids}"


# ---- the image's user ----


def test_the_image_runs_as_a_user_that_is_not_root() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    final_stage = dockerfile[dockerfile.rindex("\nFROM ") :]
    users = re.findall(r"^USER\s+(\S+)", final_stage, re.M)
    assert users, "the image runs as root: the final stage has no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert re.search(rf"useradd\b[^#]*\b{re.escape(user)}\b", final_stage), f"{user} is not created"
    assert re.search(rf"chown\s+{re.escape(user)}\b", final_stage), f"{user} cannot write var/"
    for name in APP_SERVICES:
        assert str(services()[name].get("user", user)).split(":")[0] not in {"root", "0"}, name


# ---- the application image ----


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_service_command_is_a_cli_subcommand(service: str) -> None:
    command = services()[service].get("command")
    words = command if isinstance(command, list) else str(command).split()
    assert words[0] == "inquiry", f"{service} runs {words}, not the inquiry CLI"
    result = subprocess.run(
        [sys.executable, "-c", "from infra.cli import main; main()", *words[1:], "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"`{' '.join(words)}` is not a subcommand: {result.stderr}"


def test_the_image_installs_every_package_the_code_imports() -> None:
    """The Dockerfile runs `pip install .`: a top-level package missing from pyproject.toml is
    left out of the image and the container fails on its first import."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = project["tool"]["setuptools"]
    shipped = {p.split(".")[0] for p in setuptools["packages"]} | set(setuptools["py-modules"])
    local = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()} - {"tests"}
    local |= {p.stem for p in ROOT.glob("*.py")}
    imported: set[str] = set()
    for package in shipped:
        paths = [ROOT / f"{package}.py"] if (ROOT / f"{package}.py").exists() else []
        for path in paths or (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    imported.add(node.module.split(".")[0])
                elif isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
    missing = sorted((imported & local) - shipped)
    assert not missing, f"imported but not in [tool.setuptools] of pyproject.toml: {missing}"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^COPY migrations/? ", dockerfile, re.M), "the image needs migrations/"


def test_register_script_creates_every_search_attribute_the_code_uses() -> None:
    used: dict[str, str] = {}
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {"tests", ".venv", "var"}:
            continue
        text = path.read_text(encoding="utf-8")
        for kind, name in re.findall(r"SearchAttributeKey\.for_(\w+)\(\s*[\"'](\w+)", text):
            if not name.startswith("Temporal"):  # the server's own (TemporalScheduledStartTime…)
                used[name] = SDK_KEY_TYPES.get(kind, kind)
    assert used, "the code declares no SearchAttributeKey: this check has lost its target"
    script = REGISTER_SCRIPT.read_text(encoding="utf-8")
    registered = dict(re.findall(r"^ensure_search_attribute\s+(\w+)\s+(\w+)\s*$", script, re.M))
    wrong = {name: kind for name, kind in used.items() if registered.get(name) != kind}
    assert not wrong, f"register.sh does not register these (name: type) as used: {wrong}"


# ---- deploy scripts ----


@pytest.mark.parametrize(
    "script", sorted(DEPLOY.rglob("*.sh")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_deploy_script_parses(script: Path) -> None:
    result = subprocess.run(
        ["bash", "-n", str(script)], capture_output=True, text=True, check=False, timeout=30
    )
    assert result.returncode == 0, result.stderr
    dash = shutil.which("dash")
    if script.read_text(encoding="utf-8").startswith("#!/bin/sh\n") and dash:
        # The admin-tools images may have no bash: these must be plain POSIX sh.
        result = subprocess.run(
            [dash, "-n", str(script)], capture_output=True, text=True, check=False, timeout=30
        )
        assert result.returncode == 0, result.stderr
