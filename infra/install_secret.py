"""The token-signing secret of one install: made at random on first start, kept in var/.

Used when JWT_SECRET is unset in development (`make run`, `inquiry api`), so no two installs
share a secret and nobody can forge a token with a placeholder everyone knows.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from core.settings import PLACEHOLDER_SECRET, Settings

SECRET_FILE = "jwt_secret"  # noqa: S105 - the file name, not a secret


def install_secret(var_dir: Path) -> str:
    """The secret stored in var_dir (mode 0600), created once; concurrent starts agree on one."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / SECRET_FILE
    if not path.exists():
        # Written whole to a private file first, then linked into place: a start running at the
        # same moment sees either no file or the complete one, and the first link wins.
        draft = var_dir / f".{SECRET_FILE}.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < 32:
        raise SystemExit(f"{path} holds no usable secret; delete it to make a new one")
    return secret


def use_install_secret(settings: Settings) -> None:
    """In development without JWT_SECRET, sign with this install's own secret."""
    if settings.environment == "development" and settings.jwt_secret == PLACEHOLDER_SECRET:
        settings.jwt_secret = install_secret(settings.var_dir)
