"""Static checks of the production deployment: docker-compose.yml, Dockerfile and deploy/.

No Docker engine runs here, so these check only what can actually break at `docker compose up`
and cannot be seen by reading one file: a reference that does not resolve. A dangling
depends_on, an undeclared volume, a bind mount of a missing file, a variable the example env
does not list, a CLI subcommand that does not exist, a search attribute the code uses but the
registration script does not create, a package the image would not install, a script that does
not parse. They do not prove that the images start or that the services reach each other.
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

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DEPLOY = ROOT / "deploy"
REGISTER_SCRIPT = DEPLOY / "temporal" / "register.sh"
POSTGRES_INIT_SCRIPT = DEPLOY / "postgres" / "init-databases.sh"
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
    problems = [
        f"{reference}: a secret must be `${{{name}:?message}}`"
        for name, references in compose_variables().items()
        if SECRET_NAME.search(name)
        for reference in references
        if not reference.startswith(f"${{{name}:?")
    ]
    problems += [
        f".env.example ships a value for {name}"
        for name, value in env_example().items()
        if SECRET_NAME.search(name) and value
    ]
    assert not problems, problems_report(problems)


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
