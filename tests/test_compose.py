"""Static checks of the production deployment: docker-compose.yml, Dockerfile and deploy/.

No Docker engine is needed; these read the files and catch the mistakes that otherwise surface
only at `docker compose up` (a dangling depends_on, an undeclared volume, a missing bind-mounted
file, an undocumented variable, an unregistered search attribute, a broken shell script).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
DEPLOY = ROOT / "deploy"
REGISTER_SCRIPT = DEPLOY / "temporal" / "register.sh"
SCHEMA_SCRIPT = DEPLOY / "temporal" / "setup-schema.sh"
POSTGRES_INIT_SCRIPT = DEPLOY / "postgres" / "init-databases.sh"

REQUIRED_SERVICES = {
    "postgresql",
    "temporal",
    "temporal-schema",
    "temporal-namespace",
    "temporal-ui",
    "migrate",
    "api",
    "worker",
}
APP_SERVICES = ("migrate", "api", "worker")
ONE_SHOT_SERVICES = ("temporal-schema", "temporal-namespace", "migrate")
SEARCH_ATTRIBUTES = {
    "InquiryStatus": "Keyword",
    "ResponsibleUnit": "Keyword",
    "ReplyDueAt": "Datetime",
    "EscalationLevel": "Int",
    "Overdue": "Bool",
}
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
DEPENDS_ON_CONDITIONS = {
    "service_started",
    "service_healthy",
    "service_completed_successfully",
}
# Compose interpolation: $VAR or ${VAR...}; `$$` is a literal dollar and is skipped.
INTERPOLATION = re.compile(r"(?<!\$)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")
SECRET_NAME = re.compile(r"PASSWORD|SECRET")


# ---------------------------------------------------------------------------------------------
# helpers


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


def services() -> dict[str, dict[str, Any]]:
    return load_compose()["services"]


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
        if len(parts) == 1:  # anonymous volume: just a container path
            mounts.append(("volume", "", parts[0]))
            continue
        source, target = parts[0], parts[1]
        kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        mounts.append((kind, source, target))
    return mounts


def command_line(value: Any) -> str:
    return " ".join(value) if isinstance(value, list) else str(value or "")


def env_example_values() -> dict[str, str]:
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


def mounted_host_path(service: dict[str, Any], container_path: str) -> Path | None:
    """The repository file behind a container path, through the service's bind mounts."""
    wanted = PurePosixPath(container_path)
    for kind, source, target in volume_mounts(service):
        if kind != "bind":
            continue
        target_path = PurePosixPath(target)
        if wanted == target_path or target_path in wanted.parents:
            return ROOT / source / wanted.relative_to(target_path)
    return None


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined; heredoc bodies skipped."""
    instructions: list[tuple[str, str]] = []
    lines = iter(DOCKERFILE.read_text(encoding="utf-8").splitlines())
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        while stripped.endswith("\\"):
            stripped = stripped[:-1] + " " + next(lines).strip()
        heredoc = re.search(r"<<-?'?\"?(\w+)", stripped)
        if heredoc:
            for body_line in lines:
                if body_line.strip() == heredoc.group(1):
                    break
        keyword, _, arguments = stripped.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def deploy_scripts() -> list[Path]:
    return sorted(DEPLOY.rglob("*.sh"))


# ---------------------------------------------------------------------------------------------
# compose structure


def test_compose_uses_the_compose_spec_without_version_key() -> None:
    compose = load_compose()
    assert "version" not in compose, "the Compose spec has no `version:` key; drop it"
    assert isinstance(compose.get("services"), dict) and compose["services"]


def test_required_services_exist() -> None:
    missing = REQUIRED_SERVICES - services().keys()
    assert not missing, f"services missing from docker-compose.yml: {sorted(missing)}"


def test_every_depends_on_target_exists_with_a_valid_condition() -> None:
    all_services = services()
    problems = []
    for name, service in all_services.items():
        for target, condition in depends_on(service).items():
            if target not in all_services:
                problems.append(f"{name} depends on undefined service {target!r}")
            if condition not in DEPENDS_ON_CONDITIONS:
                problems.append(f"{name} -> {target}: unknown condition {condition!r}")
    assert not problems, "\n".join(problems)


def test_service_healthy_targets_define_a_healthcheck() -> None:
    all_services = services()
    problems = [
        f"{name} waits for {target} to be healthy, but {target} has no healthcheck"
        for name, service in all_services.items()
        for target, condition in depends_on(service).items()
        if condition == "service_healthy"
        and target in all_services
        and not (all_services[target].get("healthcheck") or {}).get("test")
    ]
    assert not problems, "\n".join(problems)


def test_depends_on_graph_has_no_cycle() -> None:
    graph = {name: set(depends_on(service)) for name, service in services().items()}
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in done:
            return
        assert node not in visiting, f"depends_on cycle: {' -> '.join([*path, node])}"
        visiting.add(node)
        for child in graph.get(node, ()):
            visit(child, [*path, node])
        visiting.discard(node)
        done.add(node)

    for node in graph:
        visit(node, [])


def test_start_up_order_of_the_stack() -> None:
    svc = services()
    expectations = {
        ("temporal-schema", "postgresql"): "service_healthy",
        ("temporal", "temporal-schema"): "service_completed_successfully",
        ("temporal-namespace", "temporal"): "service_healthy",
        ("temporal-ui", "temporal"): "service_healthy",
        ("migrate", "postgresql"): "service_healthy",
    }
    for app in ("api", "worker"):
        expectations[(app, "postgresql")] = "service_healthy"
        expectations[(app, "migrate")] = "service_completed_successfully"
        expectations[(app, "temporal-namespace")] = "service_completed_successfully"
    problems = [
        f"{name} should depend on {target} with {condition}, "
        f"has {depends_on(svc[name]).get(target)}"
        for (name, target), condition in expectations.items()
        if depends_on(svc[name]).get(target) != condition
    ]
    assert not problems, "\n".join(problems)


def test_one_shot_jobs_are_not_restarted_and_servers_are() -> None:
    svc = services()
    for name in ONE_SHOT_SERVICES:
        # `restart: always/unless-stopped` would rerun a job forever and it never "completes".
        assert str(svc[name].get("restart", "no")) == "no", f"{name} is a one-shot job"
    for name in REQUIRED_SERVICES.difference(ONE_SHOT_SERVICES):
        assert svc[name].get("restart") in {"always", "unless-stopped"}, (
            f"{name} is long-running and should restart after a crash or reboot"
        )


def test_named_volumes_are_declared() -> None:
    declared = set((load_compose().get("volumes") or {}).keys())
    used = {
        (name, source)
        for name, service in services().items()
        for kind, source, _ in volume_mounts(service)
        if kind == "volume" and source
    }
    undeclared = sorted(f"{name}: {source}" for name, source in used if source not in declared)
    assert not undeclared, f"named volumes not declared under top-level volumes: {undeclared}"
    assert any(name == "postgresql" for name, _ in used), "PostgreSQL data needs a named volume"


def test_postgres_data_is_on_the_named_volume() -> None:
    mounts = volume_mounts(services()["postgresql"])
    targets = {target: (kind, source) for kind, source, target in mounts}
    kind, source = targets.get("/var/lib/postgresql/data", (None, None))
    assert kind == "volume" and source, "postgres:16 keeps its data in /var/lib/postgresql/data"


def test_bind_mounted_host_paths_exist() -> None:
    problems = []
    for name, service in services().items():
        for kind, source, target in volume_mounts(service):
            if kind != "bind":
                continue
            if not source.startswith("."):
                problems.append(f"{name}: use a path relative to the repository, not {source}")
            elif not (ROOT / source).exists():
                problems.append(f"{name}: {source} (mounted at {target}) does not exist")
    assert not problems, "\n".join(problems)


def test_one_shot_job_entrypoints_run_the_mounted_scripts() -> None:
    svc = services()
    for name, script in (
        ("temporal-schema", SCHEMA_SCRIPT),
        ("temporal-namespace", REGISTER_SCRIPT),
    ):
        service = svc[name]
        assert service["image"].startswith("temporalio/admin-tools:"), name
        entrypoint = service.get("entrypoint")
        assert isinstance(entrypoint, list) and len(entrypoint) >= 2, (
            f"{name} must override the admin-tools entrypoint (it otherwise sleeps forever)"
        )
        host_path = mounted_host_path(service, entrypoint[-1])
        assert host_path is not None, f"{name} runs {entrypoint[-1]}, which nothing mounts"
        assert host_path.resolve() == script.resolve(), f"{name} runs {host_path}, not {script}"
        mounts = [m for m in service.get("volumes", []) if isinstance(m, str)]
        assert all(m.endswith(":ro") for m in mounts), f"{name}: mount scripts read-only"


def test_postgres_init_script_is_mounted_into_the_init_directory() -> None:
    service = services()["postgresql"]
    sources = {
        (ROOT / source).resolve(): target
        for kind, source, target in volume_mounts(service)
        if kind == "bind"
    }
    target = sources.get(POSTGRES_INIT_SCRIPT.resolve())
    assert target is not None, "deploy/postgres/init-databases.sh is not mounted"
    assert target.startswith("/docker-entrypoint-initdb.d/") and target.endswith(".sh")


def test_image_tags_are_pinned() -> None:
    problems = []
    for name, service in services().items():
        image = service.get("image", "")
        if "build" in service:
            continue  # built here
        repository, _, tag = image.rpartition(":") if ":" in image else (image, "", "")
        if not repository or not tag or tag == "latest":
            problems.append(f"{name}: pin an explicit tag, not {image!r}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# variables


def test_every_compose_variable_is_listed_in_env_example() -> None:
    documented = env_example_values().keys()
    missing = sorted(compose_variables().keys() - documented)
    assert not missing, f"add these to .env.example: {missing}"


def test_env_example_lists_no_unused_variable() -> None:
    unused = sorted(env_example_values().keys() - compose_variables().keys())
    assert not unused, f".env.example lists variables docker-compose.yml never reads: {unused}"


def test_secrets_are_required_and_have_no_default() -> None:
    problems = []
    for name, references in compose_variables().items():
        if not SECRET_NAME.search(name):
            continue
        for reference in references:
            if not reference.startswith(f"${{{name}:?"):
                problems.append(f"{reference}: a secret must be `${{{name}:?message}}`")
    assert not problems, "\n".join(problems)
    assert "JWT_SECRET" in compose_variables(), "JWT_SECRET must come from the environment"


def test_env_example_ships_no_secret_values() -> None:
    filled = [
        name for name, value in env_example_values().items() if SECRET_NAME.search(name) and value
    ]
    assert not filled, f"leave secrets empty in .env.example: {filled}"


def test_env_files_stay_out_of_the_image() -> None:
    patterns = {line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()}
    assert ".env" in patterns, ".dockerignore must exclude .env (pydantic-settings reads it)"


# ---------------------------------------------------------------------------------------------
# the application image and its services


def test_app_services_share_one_image_and_build() -> None:
    svc = services()
    images = {name: svc[name].get("image") for name in APP_SERVICES}
    builds = {name: json.dumps(svc[name].get("build"), sort_keys=True) for name in APP_SERVICES}
    assert len(set(images.values())) == 1 and None not in images.values(), images
    assert len(set(builds.values())) == 1, builds
    build = svc["api"]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).resolve() == DOCKERFILE.resolve()


@pytest.mark.parametrize(
    ("service", "expected"),
    [("api", "inquiry api"), ("worker", "inquiry worker"), ("migrate", "inquiry migrate")],
)
def test_app_service_runs_its_cli_subcommand(service: str, expected: str) -> None:
    assert command_line(services()[service].get("command")) == expected


@pytest.mark.parametrize("service", ["api", "worker"])
def test_app_service_runs_in_production_against_the_stack(service: str) -> None:
    env = environment(services()[service])
    assert env.get("ENVIRONMENT") == "production"
    assert env.get("TEMPORAL_ADDRESS") == "temporal:7233"
    assert env.get("JWT_SECRET", "").startswith("${JWT_SECRET:?")
    database_url = env.get("DATABASE_URL", "")
    assert re.fullmatch(r"postgresql://[^/]+@postgresql:5432/inquiries", database_url), (
        f"DATABASE_URL should reach the inquiries database on postgresql: {database_url}"
    )
    for name in ("TEMPORAL_NAMESPACE", "TASK_QUEUE"):
        assert env.get(name), f"{service} needs {name}"


def test_api_listens_on_all_interfaces_and_publishes_its_port() -> None:
    api = services()["api"]
    env = environment(api)
    assert env.get("API_HOST") == "0.0.0.0"  # noqa: S104 - inside the container, by design
    container_ports = {str(port).rsplit(":", 1)[-1] for port in api.get("ports", [])}
    assert env.get("API_PORT") in container_ports, (env.get("API_PORT"), container_ports)


def test_api_healthcheck_probes_healthz_without_curl() -> None:
    api = services()["api"]
    test = command_line((api.get("healthcheck") or {}).get("test"))
    assert "curl" not in test and "wget" not in test, "python:3.11-slim has neither"
    assert "urllib" in test and "python" in test
    port = environment(api).get("API_PORT")
    assert f":{port}/healthz" in test, test


def test_temporal_ui_is_served_on_8233() -> None:
    ui = services()["temporal-ui"]
    assert ui["image"].startswith("temporalio/ui:")
    assert environment(ui).get("TEMPORAL_ADDRESS") == "temporal:7233"
    ports = [str(port) for port in ui.get("ports", [])]
    assert any(port.endswith(":8080") and "8233" in port for port in ports), ports


# ---------------------------------------------------------------------------------------------
# Temporal on PostgreSQL


def test_temporal_server_persists_to_postgresql() -> None:
    temporal = services()["temporal"]
    env = environment(temporal)
    assert temporal["image"].startswith("temporalio/server:"), "use the server image, not a dev one"
    assert env.get("DB") == "postgres12"
    assert env.get("POSTGRES_SEEDS") in services(), "POSTGRES_SEEDS should name the db service"
    assert env.get("DB_PORT") == "5432"
    for name in ("POSTGRES_USER", "POSTGRES_PWD", "DBNAME", "VISIBILITY_DBNAME"):
        assert env.get(name), f"temporal needs {name}"
    assert "sqlite" not in yaml.safe_dump(temporal).lower()
    assert "start-dev" not in command_line(temporal.get("command"))


def test_temporal_dynamic_config_file_is_mounted() -> None:
    temporal = services()["temporal"]
    path = environment(temporal).get("DYNAMIC_CONFIG_FILE_PATH", "")
    assert path.startswith("/"), "give DYNAMIC_CONFIG_FILE_PATH as an absolute container path"
    host_file = mounted_host_path(temporal, path)
    assert host_file is not None, f"{path} is not inside a bind mount"
    assert host_file.is_file(), f"{host_file} does not exist"
    assert host_file.name == "development-sql.yaml"
    config = yaml.safe_load(host_file.read_text(encoding="utf-8"))
    assert isinstance(config, dict) and config, "dynamic config must be a non-empty mapping"
    for key, entries in config.items():
        assert isinstance(entries, list) and all("value" in entry for entry in entries), key


def test_database_names_agree_across_init_script_schema_job_and_server() -> None:
    svc = services()
    init_sql = POSTGRES_INIT_SCRIPT.read_text(encoding="utf-8")
    created = set(re.findall(r"CREATE DATABASE (\w+)", init_sql))
    server, schema = environment(svc["temporal"]), environment(svc["temporal-schema"])
    assert server["DBNAME"] == schema["TEMPORAL_DB"]
    assert server["VISIBILITY_DBNAME"] == schema["TEMPORAL_VISIBILITY_DB"]
    app_db = environment(svc["api"])["DATABASE_URL"].rsplit("/", 1)[-1]
    assert {server["DBNAME"], server["VISIBILITY_DBNAME"], app_db} <= created, created
    assert server["POSTGRES_USER"] == schema["SQL_USER"]
    assert server["POSTGRES_PWD"] == schema["SQL_PASSWORD"]


def test_schema_job_sets_up_both_databases_with_temporal_sql_tool() -> None:
    env = environment(services()["temporal-schema"])
    assert env.get("SQL_PLUGIN") == "postgres12"
    assert env.get("SQL_HOST") == "postgresql"
    assert env.get("SCHEMA_ROOT") == "/etc/temporal/schema/postgresql/v12"
    script = SCHEMA_SCRIPT.read_text(encoding="utf-8")
    for needle in (
        "temporal-sql-tool",
        "create-database",
        "setup-schema -v 0.0",
        "update-schema -d",
        '"${SCHEMA_ROOT}/temporal/versioned"',
        '"${SCHEMA_ROOT}/visibility/versioned"',
        'migrate "$TEMPORAL_DB"',
        'migrate "$TEMPORAL_VISIBILITY_DB"',
    ):
        assert needle in script, f"setup-schema.sh lacks {needle!r}"


def test_register_script_registers_the_search_attributes_with_their_types() -> None:
    script = REGISTER_SCRIPT.read_text(encoding="utf-8")
    registered = dict(re.findall(r"^ensure_search_attribute\s+(\w+)\s+(\w+)\s*$", script, re.M))
    assert registered == SEARCH_ATTRIBUTES
    assert re.search(
        r"operator search-attribute create\s*\\?\s*--namespace \S+ --name \S+ --type \S+", script
    ), "ensure_search_attribute must call `temporal operator search-attribute create`"
    assert "already exists" in script, "re-runs must tolerate already-registered attributes"
    assert "operator namespace create" in script and "--retention" in script


def test_register_script_covers_every_search_attribute_the_code_uses() -> None:
    used: dict[str, str] = {}
    for package in ("workflows", "activities", "api", "infra", "domain"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for kind, name in re.findall(r"SearchAttributeKey\.for_(\w+)\(\s*[\"'](\w+)", text):
                used[name] = SDK_KEY_TYPES.get(kind, kind)
    if not used:
        pytest.skip("the code declares no SearchAttributeKey")
    script = REGISTER_SCRIPT.read_text(encoding="utf-8")
    registered = dict(re.findall(r"^ensure_search_attribute\s+(\w+)\s+(\w+)\s*$", script, re.M))
    wrong = {name: kind for name, kind in used.items() if registered.get(name) != kind}
    assert not wrong, f"register.sh does not register these (name: type) as used: {wrong}"


def test_namespace_job_and_app_use_the_same_namespace() -> None:
    svc = services()
    job = environment(svc["temporal-namespace"])
    assert job.get("TEMPORAL_ADDRESS") == "temporal:7233"
    for app in ("api", "worker"):
        assert environment(svc[app]).get("TEMPORAL_NAMESPACE") == job.get("TEMPORAL_NAMESPACE")


# ---------------------------------------------------------------------------------------------
# Dockerfile


def test_dockerfile_builds_from_python_311_slim_and_installs_with_pip() -> None:
    instructions = dockerfile_instructions()
    args = dict(
        re.match(r"(\w+)=(\S+)", arguments).groups()
        for keyword, arguments in instructions
        if keyword == "ARG" and "=" in arguments
    )
    bases = [
        re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), arguments.split()[0])
        for keyword, arguments in instructions
        if keyword == "FROM"
    ]
    assert bases and all(base == "python:3.11-slim" for base in bases), bases
    runs = [arguments for keyword, arguments in instructions if keyword == "RUN"]
    assert any(re.search(r"pip install --no-cache-dir \.(\s|$)", run) for run in runs), runs


def test_dockerfile_ships_migrations_and_runs_the_api_as_non_root() -> None:
    instructions = dockerfile_instructions()
    copies = [arguments for keyword, arguments in instructions if keyword == "COPY"]
    assert any(re.match(r"migrations/?\s", copy) for copy in copies), copies
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}, users
    cmds = [arguments for keyword, arguments in instructions if keyword == "CMD"]
    assert cmds and json.loads(cmds[-1]) == ["inquiry", "api"], cmds


# ---------------------------------------------------------------------------------------------
# deploy scripts


def test_deploy_scripts_exist() -> None:
    assert {SCHEMA_SCRIPT, REGISTER_SCRIPT, POSTGRES_INIT_SCRIPT} <= set(deploy_scripts())


@pytest.mark.parametrize("script", deploy_scripts(), ids=lambda p: str(p.relative_to(ROOT)))
def test_deploy_script_parses(script: Path) -> None:
    result = subprocess.run(
        ["bash", "-n", str(script)], capture_output=True, text=True, check=False, timeout=30
    )
    assert result.returncode == 0, result.stderr
    first_line = script.read_text(encoding="utf-8").splitlines()[0]
    dash = shutil.which("dash")
    if first_line == "#!/bin/sh" and dash:
        # The admin-tools images may have no bash: these must be plain POSIX sh.
        result = subprocess.run(
            [dash, "-n", str(script)], capture_output=True, text=True, check=False, timeout=30
        )
        assert result.returncode == 0, result.stderr
