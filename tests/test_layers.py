"""Imports point one way: domain <- core <- repository <- activities <- workflows <- service <- api
and worker <- infra. The test reads every module's imports (ast) and names each one that points up.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The project's top-level packages by layer; a module may import its own layer and those below.
RANK = {
    "domain": 0,
    "core": 1,  # settings, logging, the pool and migrator, the Temporal connection
    "repository": 2,
    "activities": 3,
    "workflows": 4,
    "service": 5,  # the case, intake and read services under the routes
    "api": 6,
    "worker": 6,
    "infra": 7,  # the CLI, the embedded stack, accounts: the top
}
# Imports forbidden although they point down.
ALSO_FORBIDDEN = {
    ("api", "activities"),  # the API reaches activities only through workflows
}


def _modules(root: Path) -> list[Path]:
    files = [root / "worker.py"] if (root / "worker.py").exists() else []
    for package in RANK:
        if (root / package).is_dir():
            files += sorted((root / package).rglob("*.py"))
    return files


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(RANK)


def _violations(root: Path = ROOT) -> list[str]:
    found = []
    for path in _modules(root):
        relative = path.relative_to(root).as_posix()
        own = relative.split("/")[0].removesuffix(".py")
        for target in sorted(_imported_packages(path)):
            wrong = RANK[target] > RANK[own] or (own, target) in ALSO_FORBIDDEN
            if wrong:
                found.append(f"{relative} ({own}) imports {target}")
    return found


def test_imports_point_down_the_layers() -> None:
    violations = _violations()
    assert not violations, "imports pointing the wrong way:\n" + "\n".join(violations)


def test_a_wrong_import_is_named(tmp_path: Path) -> None:
    """The check itself: an upward import and an api -> activities import are both reported."""
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "rules.py").write_text("from repository import Conn\nimport typing\n")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "routes.py").write_text(
        "import activities.cases\nfrom service import cases\nfrom core.settings import Settings\n"
    )
    (tmp_path / "service").mkdir()
    (tmp_path / "service" / "cases.py").write_text("from api.errors import ApiError\n")
    assert sorted(_violations(tmp_path)) == [
        "api/routes.py (api) imports activities",
        "domain/rules.py (domain) imports repository",
        "service/cases.py (service) imports api",
    ]


# Calls that name a workflow's update, signal or query: the first argument must be a method
# reference (CaseWorkflow.acknowledge), never a string a rename would silently break.
MESSAGE_CALLS = {"execute_update", "start_update", "signal", "query"}
# asyncpg calls that carry SQL; only repository/ may make them.
SQL_CALLS = {"execute", "executemany", "fetch", "fetchrow", "fetchval"}


def _calls(root: Path, names: set[str]) -> list[tuple[str, ast.Call]]:
    found = []
    for path in [*_modules(root), *sorted((root / "tests").rglob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in names
            ):
                found.append((path.relative_to(root).as_posix(), node))
    return found


def _string_first_argument(call: ast.Call) -> bool:
    return bool(call.args) and isinstance(call.args[0], ast.Constant | ast.JoinedStr)


def messages_called_by_name(root: Path = ROOT) -> list[str]:
    return [
        f"{where}:{call.lineno} {call.func.attr}({ast.unparse(call.args[0])}, …)"  # type: ignore[attr-defined]
        for where, call in _calls(root, MESSAGE_CALLS)
        if _string_first_argument(call)
    ]


def sql_outside_the_repository(root: Path = ROOT) -> list[str]:
    return [
        f"{where}:{call.lineno} {call.func.attr}(…)"  # type: ignore[attr-defined]
        for where, call in _calls(root, SQL_CALLS)
        if not where.startswith(("repository/", "tests/")) and _string_first_argument(call)
    ]


def test_workflow_messages_are_called_by_method_reference() -> None:
    assert messages_called_by_name() == []


def test_sql_lives_only_in_the_repository() -> None:
    assert sql_outside_the_repository() == []


def test_the_checks_name_a_string_message_and_stray_sql(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "routes.py").write_text(
        "async def f(h, conn):\n"
        "    await h.execute_update('acknowledge', 1)\n"
        "    await h.execute_update(CaseWorkflow.acknowledge, 1)\n"
        "    await conn.fetchval('SELECT 1')\n"
    )
    assert messages_called_by_name(tmp_path) == ["api/routes.py:2 execute_update('acknowledge', …)"]
    assert sql_outside_the_repository(tmp_path) == ["api/routes.py:4 fetchval(…)"]
