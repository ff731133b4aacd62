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
