"""The deployment files hold together without a Docker daemon (CI has none): the Dockerfile's
instructions, compose.yaml's services and the systemd unit are parsed and checked against the
code they run (its settings, its packages, its health route); the unit also goes through
`systemd-analyze verify` where systemd's tools are installed, and the README shows it as it is."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from dockerfile_parse import DockerfileParser
from sqlalchemy.engine import make_url

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER", "WORKDIR",
    "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "MAINTAINER", "COMMENT",
}
SETTINGS = {name.upper() for name in Settings.model_fields}
NOT_SETTINGS = re.compile(r"^(PYTHON|PIP_)")  # the interpreter's and pip's own variables


def settings_from(env: dict[str, str]) -> Settings:
    """The settings these variables make (validated as `python -m bot run` would)."""
    unknown = set(env) - SETTINGS
    assert not unknown, f"not KetNoi settings: {sorted(unknown)}"
    return Settings(_env_file=None, **{name.lower(): value for name, value in env.items()})


def healthcheck_code(command: list[str]) -> str:
    """The Python a health check runs (`python -c CODE`), which must compile and ask /healthz."""
    assert command[-3:-1] == ["python", "-c"], command
    code = command[-1]
    compile(code, "<healthcheck>", "exec")
    assert "/healthz" in code
    return code


# ------------------------------------------------------------------ Dockerfile


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    return DockerfileParser(str(ROOT / "Dockerfile"))


def test_the_dockerfile_has_only_known_instructions_on_python_311_slim(dockerfile):
    assert {i["instruction"] for i in dockerfile.structure} <= INSTRUCTIONS
    assert dockerfile.baseimage == "python:3.11-slim"


def test_the_image_runs_the_service_as_an_unprivileged_user(dockerfile):
    steps = [i["instruction"] for i in dockerfile.structure]
    users = [i["value"] for i in dockerfile.structure if i["instruction"] == "USER"]
    assert users and users[-1] not in ("root", "0")
    last_user = len(steps) - 1 - steps[::-1].index("USER")
    assert "RUN" not in steps[last_user:]  # nothing runs as root after the switch
    assert json.loads(dockerfile.cmd) == ["python", "-m", "bot", "run"]


def test_the_image_checks_healthz_and_sets_valid_settings(dockerfile):
    [check] = [i["value"] for i in dockerfile.structure if i["instruction"] == "HEALTHCHECK"]
    healthcheck_code(json.loads(check.split("CMD", 1)[1]))
    settings = settings_from({k: v for k, v in dockerfile.envs.items() if not NOT_SETTINGS.match(k)})
    assert settings.web_host == "0.0.0.0" and settings.log_format == "json"


def test_the_image_copies_every_package_pip_installs(dockerfile):
    sources = set()
    for step in dockerfile.structure:
        if step["instruction"] == "COPY":
            *parts, _target = step["value"].split()
            sources |= {p for p in parts if not p.startswith("--")}
    for source in sources:
        assert (ROOT / source).exists(), source
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert {name.rstrip("*") for name in packages["include"]} <= sources
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not sources & set(ignored)


# ------------------------------------------------------------------ compose.yaml


def interpolated(text: str) -> str:
    """compose's ${VAR}, ${VAR:-default} and ${VAR:?message}, filled with a placeholder value."""
    return re.sub(r"\$\{(\w+)(?::?[-?][^}]*)?\}", lambda m: f"{m.group(1).lower()}-value", text)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(interpolated((ROOT / "compose.yaml").read_text()))


def test_compose_runs_ketnoi_twice_with_the_same_settings_behind_one_postgresql(compose):
    services = compose["services"]
    assert set(services) == {"db", "ketnoi-1", "ketnoi-2"}
    one, two = services["ketnoi-1"], services["ketnoi-2"]
    for key in ("build", "image", "environment", "env_file", "depends_on", "healthcheck"):
        assert one[key] == two[key], key
    assert one["ports"] != two["ports"] and one["volumes"] != two["volumes"]
    assert one["depends_on"] == {"db": {"condition": "service_healthy"}}
    db = services["db"]
    assert db["image"].startswith("postgres:") and "pg_isready" in " ".join(db["healthcheck"]["test"])
    url = make_url(one["environment"]["DATABASE_URL"])
    assert (url.host, url.username, url.database) == ("db", db["environment"]["POSTGRES_USER"],
                                                      db["environment"]["POSTGRES_DB"])
    named = {volume.split(":")[0] for s in services.values() for volume in s.get("volumes", ())}
    assert {v for v in named if not v.startswith(".")} <= set(compose["volumes"])
    assert any(v.startswith("./backups:") for v in db["volumes"])


def test_compose_settings_are_ketnoi_settings_and_its_healthcheck_asks_healthz(compose):
    service = compose["services"]["ketnoi-1"]
    settings = settings_from({k: str(v) for k, v in service["environment"].items()})
    assert settings.database_url.startswith("postgresql+asyncpg://")
    healthcheck_code(service["healthcheck"]["test"])
    assert service["env_file"] == ".env"


def test_the_example_env_file_is_a_valid_production_configuration():
    example = ROOT / "deploy" / "ketnoi.env.example"
    names = {line.split("=", 1)[0] for line in example.read_text().splitlines() if re.match(r"^\w+=", line)}
    assert names - SETTINGS == {"POSTGRES_PASSWORD"}  # compose's own variable
    settings = Settings(_env_file=example)
    assert settings.telegram_webhook_url and settings.zalo_webhook_url and settings.metrics_token
    assert settings.public_base_url and settings.public_base_url.startswith("https://")


def test_the_example_env_file_names_the_settings_that_switch_features_on():
    """Pages and e-mail are off without their settings, with no more than an INFO line: an operator
    starting from the example sees them there, commented, each with what it does."""
    lines = (ROOT / "deploy" / "ketnoi.env.example").read_text().splitlines()
    commented = dict(m.groups() for line in lines if (m := re.match(r"^#\s*([A-Z][A-Z0-9_]*)=(.*)$", line)))
    assert {"PAGE_TOKEN_KEY", "SMTP_URL", "MAIL_FROM"} <= commented.keys()
    assert set(commented) <= SETTINGS
    for name in ("PAGE_TOKEN_KEY", "SMTP_URL", "MAIL_FROM"):
        explained = lines[next(i for i, line in enumerate(lines) if line.startswith(f"# {name}=")) - 1]
        assert explained.startswith("# ") and "=" not in explained.split()[1]  # a line of words above it
    mail = settings_from({"SMTP_URL": commented["SMTP_URL"], "MAIL_FROM": commented["MAIL_FROM"]})
    assert mail.smtp_target is not None and mail.mail_from


# ------------------------------------------------------------------ systemd


UNIT = ROOT / "deploy" / "ketnoi@.service"  # a template: one process per instance, named by its port


def test_the_systemd_unit_runs_the_service_as_its_own_user():
    lines = [line for line in UNIT.read_text().splitlines() if line and not line.startswith("#")]
    values = [line.split("=", 1) for line in lines if "=" in line]
    assert ("User", "ketnoi") in [tuple(v) for v in values]
    [exec_start] = [v for k, v in values if k == "ExecStart"]
    assert exec_start.endswith(" -m bot run")
    environment = dict(v.split("=", 1) for k, v in values if k == "Environment")
    assert environment["WEB_PORT"] == "%i"  # ketnoi@8081 listens on 8081
    settings_from({**environment, "WEB_PORT": "8081"})
    assert any(k == "EnvironmentFile" for k, _ in values)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd's tools are not installed")
def test_systemd_analyze_verifies_the_unit(tmp_path):
    """As installed: the interpreter it starts is this one (verify wants an executable there)."""
    unit = tmp_path / "ketnoi@8081.service"  # an instance of the template
    unit.write_text(UNIT.read_text().replace("/opt/ketnoi/.venv/bin/python", sys.executable))
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_the_readme_shows_the_unit_as_it_is():
    body = UNIT.read_text()
    assert body[body.index("[Unit]"):] in (ROOT / "README.md").read_text()
