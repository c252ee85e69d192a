"""docker-compose.yml and the Dockerfile: the production shape names things that exist.

Each service's command is run the way its program checks itself without serving
(`gunicorn --check-config`, `celery ... --help`, `manage.py <command> --help`), with the
environment compose gives it. The image build is replayed here (its COPY steps and the
collectstatic step, then a page served from the result with production settings); the real
`docker build` runs too where a Docker daemon answers.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet
from django.apps import apps
from django.urls import resolve

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = sorted(name for name, service in SERVICES.items() if "build" in service)
ONE_SHOT = sorted(name for name, service in SERVICES.items() if service.get("restart") == "no")

# What an operator exports before `docker compose up` (the variables compose insists on).
OPERATOR = {
    "POSTGRES_PASSWORD": "postgres-password-of-this-deployment",
    "SECRET_KEY": "k7Qv-2mZpL9xR4tW8yB1nC6dF3gH5jK0sA7eU2iO9pX4vM1qT8zY3wN6bD5cE0rS",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "BLIND_INDEX_KEY": "blind-index-key-of-this-deployment",
    "EVIDENCE_S3_ACCESS_KEY": "evidence-store-user",
    "EVIDENCE_S3_SECRET_KEY": "evidence-store-password-of-this-deployment",
}


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}`, as `docker compose` reads them."""

    def one(match: re.Match) -> str:
        name, operator, rest = match.group(1), match.group(2), match.group(3)
        if variables.get(name):
            return variables[name]
        if operator == ":?":
            raise AssertionError(f"compose requires {name}: {rest}")
        return rest or ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, str(value)).replace("$$", "$")


def service_env(name: str) -> dict[str, str]:
    """The environment compose gives `name`'s container, plus what a process needs here."""
    environ = {
        key: interpolate(value, OPERATOR)
        for key, value in SERVICES[name].get("environment", {}).items()
    }
    return {
        **dockerfile_env(),
        **environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", "/tmp"),
    }


def command_of(name: str) -> list[str]:
    command = SERVICES[name]["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def self_check(argv: list[str]) -> list[str]:
    """The same command line, asked to load what it names and stop before serving."""
    program, *args = argv
    if program == "gunicorn":
        return [str(BIN / "gunicorn"), *args, "--check-config"]
    if program == "celery":
        return [str(BIN / "celery"), *args, "--help"]
    if program == "python" and args[:1] == ["manage.py"]:
        return [sys.executable, *args, "--help"]
    raise AssertionError(f"no self-check known for {program!r}: add one to this test")


def run(argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    # collectstatic compresses every static file: minutes on a loaded 2-core machine.
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=400)


# --- Dockerfile parsing -------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        instruction, _, arguments = (pending + line).strip().partition(" ")
        instructions.append((instruction.upper(), arguments.strip()))
        pending = ""
    return instructions


def dockerfile(instruction: str) -> list[str]:
    return [args for name, args in dockerfile_instructions() if name == instruction]


def dockerfile_env() -> dict[str, str]:
    return dict(item.split("=", 1) for args in dockerfile("ENV") for item in shlex.split(args))


def lock_requirements() -> dict[str, str]:
    """name -> the requirement text (with its hashes) from requirements.lock."""
    text = (ROOT / "requirements.lock").read_text().replace("\\\n", " ")
    requirements = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirements[re.split(r"[=<>\[ ;]", line, maxsplit=1)[0].lower()] = line
    return requirements


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --- compose ------------------------------------------------------------------------------------


def test_compose_runs_the_production_shape():
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(SERVICES)
    assert SERVICES["postgres"]["image"] == "postgres:16"
    assert SERVICES["redis"]["image"] == "redis:7"
    assert {"web", "worker", "beat"} <= set(APP_SERVICES)


def test_postgres_runs_without_jit():
    assert command_of("postgres") == ["postgres", "-c", "jit=off"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_is_built_from_the_dockerfile(name):
    service = SERVICES[name]
    build = service["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile_name = (
        "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    )
    assert (ROOT / context / dockerfile_name).is_file()
    assert service["image"] == SERVICES["web"]["image"], "one image for every app container"


@pytest.mark.parametrize("name", sorted(set(SERVICES) - set(ONE_SHOT)))
def test_every_long_running_service_has_a_health_check(name):
    healthcheck = SERVICES[name].get("healthcheck")
    assert healthcheck, f"{name} has no health check"
    assert healthcheck["test"][0] in {"CMD", "CMD-SHELL"}
    assert healthcheck.get("interval") and healthcheck.get("retries")


def test_app_services_start_once_postgres_and_redis_are_healthy_and_migrated():
    for name in APP_SERVICES:
        depends = SERVICES[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        if name not in ONE_SHOT:
            assert depends["migrate"]["condition"] == "service_completed_successfully", name
    assert command_of("migrate")[:3] == ["python", "manage.py", "migrate"]


def test_data_lives_in_named_volumes():
    declared = set(COMPOSE["volumes"])
    mounts = {
        (name, mount.split(":")[1]): mount.split(":")[0]
        for name, service in SERVICES.items()
        for mount in service.get("volumes", [])
    }
    assert mounts[("postgres", "/var/lib/postgresql/data")] in declared
    assert mounts[("redis", "/data")] in declared
    schedule = command_of("beat")[command_of("beat").index("--schedule") + 1]
    assert mounts[("beat", str(Path(schedule).parent))] in declared


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_service_command_names_a_module_or_app_that_exists(name):
    result = run(self_check(command_of(name)), service_env(name))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_web_command_serves_the_projects_wsgi_application():
    import glo_act.wsgi

    target = next(arg for arg in command_of("web") if arg.startswith("glo_act.wsgi"))
    module, _, attribute = target.partition(":")
    assert module == "glo_act.wsgi"
    assert callable(getattr(glo_act.wsgi, attribute or "application"))


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_the_celery_services_load_the_projects_celery_app(name):
    from celery import Celery
    from celery.app.utils import find_app

    argv = command_of(name)
    app = find_app(argv[argv.index("-A") + 1])
    assert isinstance(app, Celery)
    assert app.main == "glo_act"
    assert app.conf.task_serializer == "json"
    assert name in argv


def test_the_health_checks_ask_what_exists():
    web = SERVICES["web"]["healthcheck"]["test"]
    code = web[web.index("-c") + 1]
    compile(code, "web-healthcheck", "exec")
    path = re.search(r"localhost:8000(/\w+)", code).group(1)
    assert resolve(path).url_name == "readyz"
    assert "localhost" in service_env("web")["ALLOWED_HOSTS"].split(",")

    worker = shlex.split(interpolate(SERVICES["worker"]["healthcheck"]["test"][1], {}))
    result = run(self_check(worker), service_env("worker"))
    assert result.returncode == 0, result.stderr

    beat = SERVICES["beat"]["healthcheck"]["test"]
    code = beat[beat.index("-c") + 1]
    compile(code, "beat-healthcheck", "exec")
    schedule = command_of("beat")[command_of("beat").index("--schedule") + 1]
    assert f"glob.glob('{schedule}*')" in code


# --- Dockerfile ---------------------------------------------------------------------------------


def test_the_image_is_python_3_11_slim():
    assert dockerfile("FROM")[0] == "python:3.11-slim"


def test_the_image_installs_exactly_the_lock_file():
    steps = dockerfile_instructions()
    copy_lock = steps.index(("COPY", "requirements.lock ./"))
    install = next(
        i for i, (name, args) in enumerate(steps) if name == "RUN" and "pip install" in args
    )
    assert copy_lock < install
    args = shlex.split(steps[install][1])
    assert "--require-hashes" in args
    assert args[args.index("-r") + 1] == "requirements.lock"


def test_the_lock_pins_every_package_with_hashes_and_covers_pyproject():
    requirements = lock_requirements()
    for name, line in requirements.items():
        assert "==" in line and "--hash=sha256:" in line, name
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = pyproject["project"]["dependencies"]
    for requirement in wanted:
        name = normalise(re.split(r"[=<>\[ ;]", requirement, maxsplit=1)[0])
        assert name in {normalise(n) for n in requirements}, f"{name} missing from the lock"


def test_the_image_runs_as_a_non_root_user_and_serves_with_gunicorn():
    steps = dockerfile_instructions()
    users = [i for i, (name, _) in enumerate(steps) if name == "USER"]
    assert users and steps[users[-1]][1] not in {"root", "0"}
    cmd_index = max(i for i, (name, _) in enumerate(steps) if name == "CMD")
    assert users[-1] < cmd_index
    cmd = yaml.safe_load(steps[cmd_index][1])  # the JSON form
    assert cmd[:2] == ["gunicorn", "glo_act.wsgi:application"]


def test_the_image_copies_every_app_of_the_project():
    copied = {shlex.split(args)[0] for args in dockerfile("COPY")}
    local_apps = {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).parent == ROOT  # the project's own top-level packages
    }
    assert local_apps - copied == set(), "add a COPY line for each new app"
    assert {"manage.py", "templates", "static"} <= copied


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The image's /app, replayed: its COPY steps, then its collectstatic step."""
    app = tmp_path_factory.mktemp("image") / "app"
    app.mkdir()
    for args in dockerfile("COPY"):
        source, destination = shlex.split(args)
        target = app / destination
        if (ROOT / source).is_dir():
            shutil.copytree(
                ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy(ROOT / source, target if destination != "./" else app)
    (step,) = [args for args in dockerfile("RUN") if "collectstatic" in args]
    words = shlex.split(step)
    assignments = [w for w in words if re.fullmatch(r"[A-Z_]+=.*", w)]
    argv = words[len(assignments) :]
    assert argv[:2] == ["python", "manage.py"]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        **dockerfile_env(),
        **dict(a.split("=", 1) for a in assignments),
    }
    result = run([sys.executable, *argv[1:]], env, cwd=app)
    assert result.returncode == 0, result.stdout + result.stderr
    return app


def test_the_build_collects_hashed_static_files(built):
    manifest = built / "staticfiles" / "staticfiles.json"
    assert manifest.is_file()
    assert re.search(r'"css/app\.css": "css/app\.[0-9a-f]{12}\.css"', manifest.read_text())


def test_the_built_image_serves_pages_with_production_settings(built):
    """DEBUG off, real secrets, the hashed static files: the login page renders."""
    script = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/accounts/login/'); print(r.status_code); print(r.content.decode())"
    )
    env = {
        **service_env("web"),
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
    result = run([sys.executable, "-c", script], env, cwd=built)
    assert result.returncode == 0, result.stderr
    status, page = result.stdout.split("\n", 1)
    assert status == "200"
    assert re.search(r'href="/static/css/app\.[0-9a-f]{12}\.css"', page)


def docker_daemon_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(not docker_daemon_answers(), reason="no Docker daemon on this machine")
def test_the_image_builds_and_runs_as_non_root():
    build = subprocess.run(
        ["docker", "build", "--tag", "glo-act:test", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    user = subprocess.run(
        ["docker", "run", "--rm", "glo-act:test", "id", "-u"], capture_output=True, text=True
    )
    assert user.stdout.strip() not in {"", "0"}
