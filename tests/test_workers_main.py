"""The deployable worker's settings: every value comes from an explicit env mapping.

Running the worker for real (``python -m workers.main`` against the dev server, stopped with
SIGTERM) is in ``tests/temporal/test_examples.py``, next to the other Temporal tests.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.service import TLSConfig

from arvo_temporal.cli import (
    CommandError,
    ConnectionSettings,
    Deployment,
    SettingsError,
    connection_from_env,
    load_app,
    load_codec,
)
from arvo_temporal.cli._runtime import connect_with_retries, sink_env_domain, with_overrides
from arvo_temporal.sinks import JsonLinesSink, MemorySink, StdoutSink
from arvo_temporal.temporal import ArvoApp
from examples.app import build_app
from examples.codec import EncryptionCodec
from workers.main import DEFAULT_CONNECT_TIMEOUT, DEFAULT_SHUTDOWN_GRACE, load_settings, main

APP = {"ARVO_APP": "examples.app:app"}


@pytest.fixture(autouse=True)
def no_user_config_file(tmp_path, monkeypatch):
    """envconfig reads ~/.config/temporalio/temporal.toml when no file is named; point it at an
    empty home so a developer's own profile cannot change these tests."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))


def test_defaults():
    settings = load_settings(APP)
    assert settings.app == "examples.app:app"
    assert settings.connection == ConnectionSettings()
    assert settings.connection.address == "localhost:7233"
    assert settings.connection.namespace == "default"
    assert settings.connection.use_tls is False
    assert settings.connection.connect_config() == {
        "target_host": "localhost:7233",
        "namespace": "default",
    }
    assert settings.task_queue is None  # the app's own task queue
    assert settings.sinks == {}
    assert settings.codec is None and settings.deployment is None
    assert settings.connect_timeout == DEFAULT_CONNECT_TIMEOUT
    assert settings.shutdown_grace == DEFAULT_SHUTDOWN_GRACE


def test_connection_and_task_queue():
    settings = load_settings(
        {
            **APP,
            "TEMPORAL_ADDRESS": "temporal:7233",
            "TEMPORAL_NAMESPACE": "orders",
            "TASK_QUEUE": "arvo-orders",
            "TEMPORAL_CONNECT_TIMEOUT": "5",
            "ARVO_SHUTDOWN_GRACE": "0.5",
        }
    )
    assert (settings.connection.address, settings.connection.namespace) == (
        "temporal:7233",
        "orders",
    )
    assert settings.task_queue == "arvo-orders"
    assert (settings.connect_timeout, settings.shutdown_grace) == (5.0, 0.5)


def test_blank_values_count_as_unset():
    # docker compose passes ${ARVO_SINK_DEFAULT:-} as an empty string when it is not set.
    settings = load_settings(
        {
            **APP,
            "TEMPORAL_ADDRESS": "",
            "TEMPORAL_NAMESPACE": " ",
            "TASK_QUEUE": "  ",
            "ARVO_SINK_DEFAULT": "",
            "ARVO_SINK_EXTERNAL": "",
            "TEMPORAL_TLS": "",
            "TEMPORAL_API_KEY": "",
            "ARVO_CODEC": "",
            "ARVO_DEPLOYMENT_NAME": "",
            "ARVO_BUILD_ID": "",
        }
    )
    assert settings.connection.connect_config() == {
        "target_host": "localhost:7233",
        "namespace": "default",
    }
    assert settings.task_queue is None and settings.sinks == {}
    assert settings.codec is None and settings.deployment is None


def test_sinks_per_domain():
    settings = load_settings(
        {
            **APP,
            "ARVO_SINK_DEFAULT": "https://broker.example/events?mode=batch",
            "ARVO_SINK_EXTERNAL": "stdout:",
            "ARVO_SINK_HUMAN__REVIEW": "jsonl:review.jsonl",
            "ARVO_SINK_AUDIT_LOG": "file:///var/log/arvo.jsonl",
            "ARVO_SINK_UNUSED": " ",
            "NOT_A_SINK": "memory:",
        }
    )
    assert settings.sinks == {
        "audit_log": "file:///var/log/arvo.jsonl",
        "default": "https://broker.example/events?mode=batch",
        "external": "stdout:",
        "human.review": "jsonl:review.jsonl",
    }


@pytest.mark.parametrize(
    ("name", "domain"),
    [
        ("ARVO_SINK_DEFAULT", "default"),
        ("ARVO_SINK_EXTERNAL", "external"),
        ("ARVO_SINK_HUMAN__REVIEW", "human.review"),
        ("ARVO_SINK_A__B__C", "a.b.c"),
        ("ARVO_SINK_SNAKE_CASE", "snake_case"),
        ("ARVO_SINK_V2", "v2"),
    ],
)
def test_sink_variable_names(name, domain):
    assert sink_env_domain(name) == domain


@pytest.mark.parametrize(
    "name", ["ARVO_SINK_", "ARVO_SINK__X", "ARVO_SINK_X___Y", "ARVO_SINK_X_", "ARVO_SINK_A-B"]
)
def test_bad_sink_variable_names(name):
    with pytest.raises(SettingsError, match=name):
        load_settings({**APP, name: "stdout:"})


def test_bad_sink_url_names_the_variable_but_not_the_url():
    with pytest.raises(SettingsError) as raised:
        load_settings({**APP, "ARVO_SINK_EXTERNAL": "ftp://user:s3cret@host/inbox"})
    message = str(raised.value)
    assert message.startswith("ARVO_SINK_EXTERNAL: unsupported sink URL scheme 'ftp'")
    assert "s3cret" not in message


# ---------------------------------------------------------------- connection (envconfig)


def test_tls_switch():
    assert load_settings({**APP, "TEMPORAL_TLS": "true"}).connection.use_tls is True
    assert load_settings({**APP, "TEMPORAL_TLS": "0"}).connection.use_tls is False
    assert load_settings({**APP, "TEMPORAL_TLS": "0"}).connection.connect_config()["tls"] is False
    # envconfig would ignore "maybe" and still turn TLS on; a typo must not do that silently.
    with pytest.raises(SettingsError, match="TEMPORAL_TLS must be true or false; got 'maybe'"):
        load_settings({**APP, "TEMPORAL_TLS": "maybe"})


def test_mutual_tls_files(tmp_path: Path):
    (tmp_path / "client.pem").write_bytes(b"CERT")
    (tmp_path / "client.key").write_bytes(b"KEY")
    (tmp_path / "ca.pem").write_bytes(b"CA")
    connection = load_settings(
        {
            **APP,
            "TEMPORAL_TLS_CLIENT_CERT_PATH": str(tmp_path / "client.pem"),
            "TEMPORAL_TLS_CLIENT_KEY_PATH": str(tmp_path / "client.key"),
            "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(tmp_path / "ca.pem"),
            "TEMPORAL_TLS_SERVER_NAME": "temporal.internal",
        }
    ).connection
    assert connection.use_tls is True  # implied by the certificate
    assert connection.connect_config()["tls"] == TLSConfig(
        client_cert=b"CERT",
        client_private_key=b"KEY",
        server_root_ca_cert=b"CA",
        domain="temporal.internal",
    )


def test_certificates_given_as_data():
    connection = load_settings(
        {**APP, "TEMPORAL_TLS_CLIENT_CERT_DATA": "C", "TEMPORAL_TLS_CLIENT_KEY_DATA": "K"}
    ).connection
    tls = connection.connect_config()["tls"]
    assert isinstance(tls, TLSConfig)
    assert (tls.client_cert, tls.client_private_key) == (b"C", b"K")


def test_tls_mistakes(tmp_path: Path):
    with pytest.raises(SettingsError, match="certificate needs its private key"):
        load_settings({**APP, "TEMPORAL_TLS_CLIENT_CERT_PATH": "client.pem"})
    missing = load_settings({**APP, "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(tmp_path / "no.pem")})
    with pytest.raises(SettingsError, match=r"cannot read the TLS file .*no\.pem"):
        missing.connection.connect_config()


def test_api_key_turns_tls_on_and_stays_out_of_repr():
    settings = load_settings({**APP, "TEMPORAL_API_KEY": "secret-key"})
    assert settings.connection.connect_config()["api_key"] == "secret-key"
    assert settings.connection.use_tls is True
    assert "secret-key" not in repr(settings)
    off = load_settings({**APP, "TEMPORAL_API_KEY": "k", "TEMPORAL_TLS": "false"})
    assert off.connection.use_tls is False  # e.g. a local proxy that terminates TLS


def test_grpc_metadata_variables():
    settings = load_settings({**APP, "TEMPORAL_GRPC_META_X_TENANT": "blue"})
    assert settings.connection.connect_config()["rpc_metadata"] == {"x-tenant": "blue"}


TOML = """
[profile.default]
address = "default-host:7233"

[profile.prod]
address = "prod-host:7233"
namespace = "orders"
api_key = "prod-key"

[profile.prod.tls]
server_name = "prod.internal"
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "temporal.toml"
    path.write_text(TOML, encoding="utf-8")
    return path


def test_profiles_from_the_config_file(config_file: Path):
    env = {**APP, "TEMPORAL_CONFIG_FILE": str(config_file)}
    assert load_settings(env).connection.address == "default-host:7233"
    prod = load_settings({**env, "TEMPORAL_PROFILE": "prod"}).connection
    assert (prod.address, prod.namespace, prod.use_tls) == ("prod-host:7233", "orders", True)
    assert prod.connect_config()["api_key"] == "prod-key"
    tls = prod.connect_config()["tls"]
    assert isinstance(tls, TLSConfig) and tls.domain == "prod.internal"
    # The standard variables win over the file, as for the Temporal CLI.
    moved = load_settings({**env, "TEMPORAL_PROFILE": "prod", "TEMPORAL_ADDRESS": "new:1"})
    assert (moved.connection.address, moved.connection.namespace) == ("new:1", "orders")


def test_the_user_config_file_is_found_without_a_variable(tmp_path: Path, config_file: Path):
    # envconfig's default location, under the home fixture's ~/.config.
    default = tmp_path / "home" / ".config" / "temporalio" / "temporal.toml"
    default.parent.mkdir(parents=True)
    default.write_text(TOML, encoding="utf-8")
    assert connection_from_env({}, profile="prod").address == "prod-host:7233"


def test_config_file_mistakes(tmp_path: Path, config_file: Path):
    missing = tmp_path / "missing.toml"
    with pytest.raises(
        SettingsError,
        match=f"TEMPORAL_CONFIG_FILE: the Temporal config file {missing} does not exist",
    ):
        load_settings({**APP, "TEMPORAL_CONFIG_FILE": str(missing)})
    with pytest.raises(SettingsError, match="--config-file: the Temporal config file"):
        connection_from_env({}, config_file=str(missing))
    with pytest.raises(SettingsError, match="Profile 'staging' not found"):
        load_settings(
            {**APP, "TEMPORAL_CONFIG_FILE": str(config_file), "TEMPORAL_PROFILE": "staging"}
        )
    broken = tmp_path / "broken.toml"
    broken.write_text("[profile.default\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=rf"Temporal client configuration \({broken}\): .*TOML"):
        load_settings({**APP, "TEMPORAL_CONFIG_FILE": str(broken)})


def test_command_line_overrides_win_over_the_profile(config_file: Path):
    prod = connection_from_env({"TEMPORAL_CONFIG_FILE": str(config_file)}, profile="prod")
    local = prod.with_overrides(address="127.0.0.1:7000", tls=False)
    assert local.connect_config() == {
        "target_host": "127.0.0.1:7000",
        "namespace": "orders",
        "api_key": "prod-key",
        "tls": False,
    }
    assert prod.address == "prod-host:7233"  # untouched
    with pytest.raises(SettingsError, match="certificate needs its private key"):
        prod.with_overrides(tls_cert=Path("client.pem"))


# ---------------------------------------------------------------- codec and deployment


def test_codec_and_deployment():
    settings = load_settings(
        {
            **APP,
            "ARVO_CODEC": "examples.codec:codec",
            "ARVO_DEPLOYMENT_NAME": "arvo-orders",
            "ARVO_BUILD_ID": "3f2a9c1",
        }
    )
    assert settings.codec == "examples.codec:codec"
    assert settings.deployment == Deployment(name="arvo-orders", build_id="3f2a9c1")
    config = settings.deployment.worker_config()
    assert config.version == WorkerDeploymentVersion("arvo-orders", "3f2a9c1")
    assert config.use_worker_versioning is True
    assert config.default_versioning_behavior == VersioningBehavior.AUTO_UPGRADE


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ARVO_CODEC": "examples.codec"}, "ARVO_CODEC must be module:attribute"),
        ({"ARVO_DEPLOYMENT_NAME": "arvo"}, "needs both ARVO_DEPLOYMENT_NAME and ARVO_BUILD_ID"),
        ({"ARVO_BUILD_ID": "abc"}, "needs both ARVO_DEPLOYMENT_NAME and ARVO_BUILD_ID"),
        (
            {"ARVO_DEPLOYMENT_NAME": "arvo.orders", "ARVO_BUILD_ID": "1"},
            "ARVO_DEPLOYMENT_NAME cannot contain a dot",
        ),
    ],
)
def test_bad_codec_and_deployment_settings(env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings({**APP, **env})


class NotACodec:
    pass


def failing_codec_factory():
    raise ValueError("ARVO_CODEC_KEY is not set (32 random bytes, base64)")


def test_load_codec_takes_a_codec_or_a_factory(monkeypatch):
    monkeypatch.setenv("ARVO_CODEC_KEY", "A" * 43 + "=")
    built = load_codec("examples.codec:codec")
    assert isinstance(built, EncryptionCodec)
    assert load_codec("tests.test_workers_main:CODEC") is CODEC


CODEC = EncryptionCodec(b"k" * 32)


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        ("examples.codec", SettingsError, "the codec must be given as module:attribute"),
        ("examples.codec:nothing", SettingsError, "has no attribute nothing"),
        ("examples.codec:KEY_ENV", SettingsError, "is a str, not a temporalio.converter.Payload"),
        ("tests.test_workers_main:NotACodec", SettingsError, "is a NotACodec, not a temporalio"),
        (
            "tests.test_workers_main:failing_codec_factory",
            CommandError,
            "tests.test_workers_main:failing_codec_factory failed: ValueError: ARVO_CODEC_KEY",
        ),
    ],
)
def test_load_codec_errors(spec, error, message):
    with pytest.raises(error, match=message):
        load_codec(spec)


@pytest.mark.parametrize(
    "value", [None, "", "examples.app", "examples.app:", ":app", "examples app:app", "1x:app"]
)
def test_bad_arvo_app(value):
    env = dict(APP)
    if value is None:
        del env["ARVO_APP"]
    else:
        env["ARVO_APP"] = value
    with pytest.raises(SettingsError, match="ARVO_APP"):
        load_settings(env)


@pytest.mark.parametrize("name", ["TEMPORAL_CONNECT_TIMEOUT", "ARVO_SHUTDOWN_GRACE"])
@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_bad_durations(name, value):
    with pytest.raises(SettingsError, match=name):
        load_settings({**APP, name: value})


def test_main_reports_bad_settings_in_one_line(capsys):
    assert main({"ARVO_APP": "nope"}) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("workers.main: ARVO_APP must be module:attribute")


# --------------------------------------------------------------------------- loading apps


def make_app() -> ArvoApp:
    """A factory: ARVO_APP may name a function that returns the app."""
    return build_app(task_queue="from-factory", sinks={})


def test_load_app_takes_an_app_or_a_factory():
    from examples import app as module

    assert load_app("examples.app:app") is module.app
    assert load_app("tests.test_workers_main:make_app").task_queue == "from-factory"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_package.app:app", "no module named no_such_package"),
        ("examples.no_such_module:app", "no module named examples.no_such_module"),
        ("examples.app:missing", "examples.app has no attribute missing"),
        ("examples.app:TASK_QUEUE", "examples.app:TASK_QUEUE is a str, not an ArvoApp"),
        ("examples.app:build_app.__name__", "is a str, not an ArvoApp"),
    ],
)
def test_load_app_errors(spec, message):
    with pytest.raises(SettingsError, match=message):
        load_app(spec)


def test_an_app_module_that_raises_is_a_runtime_error(tmp_path, monkeypatch):
    (tmp_path / "broken_app_module.py").write_text("raise RuntimeError('no database')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(CommandError) as raised:
        load_app("broken_app_module:app")
    assert raised.value.code == 1
    assert str(raised.value) == "importing broken_app_module failed: RuntimeError: no database"
    monkeypatch.delitem(sys.modules, "broken_app_module", raising=False)


def test_environment_sinks_override_the_apps_own_for_their_domains():
    default, audit = StdoutSink(), MemorySink()
    app = build_app(task_queue="q", sinks={"default": default, "audit": audit})
    external = JsonLinesSink("external.jsonl")
    served = with_overrides(app, sinks={"external": external}, task_queue="other")
    assert served is not app and served.task_queue == "other"
    assert served.sinks.sinks == {"default": default, "audit": audit, "external": external}
    assert set(served.orchestrators) == set(app.orchestrators)
    assert set(served.handlers) == set(app.handlers)
    assert app.task_queue == "q" and "external" not in app.sinks.sinks  # untouched
    assert with_overrides(app) is app


class StartingServer:
    """Stands in for ConnectionSettings: the first ``refusals`` connection attempts are refused,
    like a server that is still starting; later ones return a stand-in for the client."""

    address = "127.0.0.1:7233"
    namespace = "default"

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.attempts = 0

    async def connect(self, **options: Any) -> Any:
        self.attempts += 1
        if self.attempts <= self.refusals:
            raise RuntimeError(
                "Failed client connect: tonic::transport::Error(Transport, ConnectError("
                'ConnectError("tcp connect error", Os { code: 111, kind: ConnectionRefused, '
                'message: "Connection refused" })))'
            )
        return "client"


async def test_the_first_connection_is_retried_until_the_server_answers():
    server = StartingServer(refusals=2)
    logged: list[str] = []
    # A deadline no test run reaches, so the number of retries cannot depend on timing.
    client = await connect_with_retries(server, retry_for=3600, log=logged.append)
    assert client == "client"
    assert server.attempts == 3
    assert logged == [
        "Temporal at 127.0.0.1:7233 is not reachable yet (connection refused); retrying in 0.5s",
        "Temporal at 127.0.0.1:7233 is not reachable yet (connection refused); retrying in 1s",
    ]


async def test_a_refused_connection_without_retry_time_fails_in_one_line():
    server = StartingServer(refusals=1)
    with pytest.raises(CommandError) as raised:
        await connect_with_retries(server, retry_for=0)
    assert str(raised.value) == (
        "cannot connect to Temporal at 127.0.0.1:7233 (namespace default): connection refused"
    )
    assert server.attempts == 1
