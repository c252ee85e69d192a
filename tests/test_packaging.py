"""Packaging stays honest: two locks that agree, and `pip install .` finds every app.

The production image installs `requirements.lock` (runtime only); `make install` installs
`requirements-dev.lock` (runtime plus the dev extra). Both are compiled from pyproject.toml by
`make lock`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from django.apps import apps
from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pins(lock: str) -> dict[str, str]:
    """name -> version of every `name==version` line in a lock file."""
    text = (ROOT / lock).read_text()
    return {
        name.lower(): version
        for name, version in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", text, re.M)
    }


def requirement_name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[=<>\[ ;]", requirement, maxsplit=1)[0]).lower()


def test_the_runtime_lock_holds_no_development_tool():
    runtime = pins("requirements.lock")
    tools = {"pytest", "pytest-django", "hypothesis", "schemathesis", "playwright", "ruff"}
    assert len(runtime) > 20  # the parse found the pins
    assert tools & set(runtime) == set(), "a development tool would ship in the image"


def test_the_development_lock_pins_the_runtime_packages_at_the_same_versions():
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    differing = {name for name, version in runtime.items() if dev.get(name) != version}
    assert differing == set(), "recompile both locks with `make lock`"
    dev_only = {requirement_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]}
    assert dev_only <= set(dev)


def test_pip_install_finds_every_app_of_the_project_and_no_test_code():
    found = set(find_packages(ROOT, **PYPROJECT["tool"]["setuptools"]["packages"]["find"]))
    local_apps = {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).parent == ROOT
    }
    assert local_apps <= found, "add the new app to [tool.setuptools.packages.find]"
    assert not {name for name in found if name.split(".")[0] in {"tests", "bench"}}
