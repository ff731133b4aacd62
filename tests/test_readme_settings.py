"""Every setting the service reads is in the README's settings table."""

from __future__ import annotations

import re
from pathlib import Path

from core.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def _settings_table() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def test_every_setting_has_a_row_in_the_readme_settings_table() -> None:
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", _settings_table()))
    missing = sorted(
        name.upper() for name in Settings.model_fields if name.upper() not in documented
    )
    assert not missing, f"settings missing from README ## Settings: {missing}"
