"""README stays true to the code: its configuration table, demo logins and two commands."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from liaison_offices import demo
from liaison_offices.constants import HQ_CODE
from liaison_offices.management.commands.seed_demo import DEFAULT_DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    """The text of README's `## title` section."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def variables_read_by_settings() -> set[str]:
    """Each NAME of an `env_*("NAME", ...)` call in settings.py (and `NAME_FILE` for secrets)."""
    tree = ast.parse((ROOT / "glo_act" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id.startswith("env_")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(node.args[0].value)
            if node.func.id == "env_secret":
                names.add(f"{node.args[0].value}_FILE")
    return names


def test_the_configuration_table_lists_every_variable_the_settings_read():
    table = section("Configuration")
    documented = set(re.findall(r"^\| `(\w+)`", table, re.M)) | set(
        re.findall(r"^\| `\w+` / `(\w+)`", table, re.M)
    )
    read = variables_read_by_settings()
    assert len(read) > 20  # the parse found the settings' readers
    assert read - documented == set(), "document these in README, Configuration"
    assert documented - read - {"DEMO_PASSWORD"} == set(), "README documents unread variables"


def test_readme_gives_every_demo_login_and_the_default_password():
    logins = section("Demo logins")
    usernames = {username for username, *_ in demo.USERS} | {
        f"ilo.{code.lower()}" for code, *_ in demo.OFFICES if code != HQ_CODE
    }
    missing = {name for name in usernames if f"`{name}`" not in logins}
    assert missing == set()
    assert f"**`{DEFAULT_DEMO_PASSWORD}`**" in logins


def test_the_two_commands_are_makefile_targets():
    makefile = (ROOT / "Makefile").read_text()
    commands = re.findall(r"^make (\w+)", section("Two commands"), re.M)
    assert commands == ["run", "test"]
    for target in commands:
        assert re.search(rf"^{target}:", makefile, re.M), target
