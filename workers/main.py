"""The deployable worker: ``python -m workers.main`` (the docker compose ``worker`` service).

Everything comes from the environment (blank values count as unset, as compose passes them).
The connection is read by ``temporalio.envconfig``, like the Temporal CLI reads it: the profile
``TEMPORAL_PROFILE`` (``default``) of the TOML file ``TEMPORAL_CONFIG_FILE``
(``~/.config/temporalio/temporal.toml``) if there is one, then the standard variables on top:

=================================  ===============================================================
``TEMPORAL_ADDRESS``               the frontend, ``host:port`` (default ``localhost:7233``).
``TEMPORAL_NAMESPACE``             the namespace (default ``default``).
``TEMPORAL_API_KEY``               API key (Temporal Cloud); turns TLS on.
``TEMPORAL_TLS``                   ``true``/``false``; any other TLS variable turns TLS on.
``TEMPORAL_TLS_CLIENT_CERT_PATH``, client certificate and key (PEM files) for mTLS (or the
``TEMPORAL_TLS_CLIENT_KEY_PATH``   ``…_DATA`` variables holding the PEM text).
``TEMPORAL_TLS_SERVER_CA_CERT_PATH`` CA of the server certificate.
``TEMPORAL_TLS_SERVER_NAME``       the name to verify the server certificate against.
``TEMPORAL_GRPC_META_<NAME>``      a gRPC header sent with every call.
=================================  ===============================================================

and arvo_temporal's own:

=================================  ===============================================================
``ARVO_APP``                       required: ``module:attribute`` of the ``ArvoApp`` to serve
                                   (``examples.app:app``); the attribute may be a function
                                   returning one.
``TASK_QUEUE``                     serve on this task queue instead of the app's own.
``ARVO_SINK_<DOMAIN>``             where events of a domain leave the system, overriding the
                                   app's own sink for it: ``ARVO_SINK_DEFAULT`` (Arvo's null
                                   domain), ``ARVO_SINK_EXTERNAL``, …; write the domain's dots as
                                   ``__`` (``ARVO_SINK_HUMAN__REVIEW`` → ``human.review``). Values
                                   are sink URLs: ``http(s)://…[?mode=binary|structured|batch]``,
                                   ``file:///abs/path.jsonl``, ``jsonl:relative/path.jsonl``,
                                   ``stdout:``, ``memory:``.
``ARVO_DEAD_LETTER``               where events a sink refused for good (a 4xx other than 408,
                                   425 and 429, a redirect, no sink for the domain) are kept
                                   instead of failing the execution: ``file:///…`` or
                                   ``jsonl:…`` is a JSON-lines file with the reason, any other
                                   sink URL receives the events. Default: the app's own, else
                                   ``$ARVO_DATA_DIR/dead-letter.jsonl``.
``ARVO_DATA_DIR``                  the worker's data dir (default ``.arvo-temporal``).
``ARVO_CODEC``                     ``module:attribute`` of a ``temporalio`` ``PayloadCodec`` (or a
                                   function returning one) that encodes every payload, e.g.
                                   ``examples.codec:codec`` (AES-GCM, key in ``ARVO_CODEC_KEY``).
``ARVO_DEPLOYMENT_NAME``,          the Temporal Worker Deployment and this build's id (both or
``ARVO_BUILD_ID``                  neither): turns Worker Versioning on.
``TEMPORAL_CONNECT_TIMEOUT``       seconds to keep retrying the first connection (default 120):
                                   in compose the server may still be starting.
``ARVO_SHUTDOWN_GRACE``            seconds running activities get after SIGTERM (default 20; keep
                                   it below compose's ``stop_grace_period``).
``LOG_LEVEL``                      ``DEBUG``, ``INFO`` (default), ``WARNING``, ``ERROR``.
=================================  ===============================================================

Exit status: 0 after a SIGTERM/SIGINT shutdown, 2 for bad settings, 1 when the server stays
unreachable or the worker fails; the reason is one line on stderr.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Mapping

from arvo_temporal.cli import (
    CommandError,
    SettingsError,
    WorkerSettings,
    connection_from_env,
    data_dir_from_env,
    dead_letter_from_env,
    deployment_from,
    exit_now,
    parse_app_spec,
    parse_spec,
    serve,
    sinks_from_env,
    stop_on_signals,
)

__all__ = ["load_settings", "main", "run"]

logger = logging.getLogger("workers.main")

DEFAULT_CONNECT_TIMEOUT = 120.0
DEFAULT_SHUTDOWN_GRACE = 20.0
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds; got {raw!r}") from None
    if value < 0 or value != value:  # NaN compares unequal to itself
        raise SettingsError(f"{name} must be zero or more seconds; got {raw!r}")
    return value


def load_settings(env: Mapping[str, str]) -> WorkerSettings:
    """The worker's settings from ``env`` (pass ``os.environ``; tests pass a dict).

    Only the format of ``ARVO_APP`` is checked here; importing it happens when the worker starts.

    Raises:
        SettingsError: naming the variable that is missing or wrong.
    """
    app = env.get("ARVO_APP", "").strip()
    if not app:
        raise SettingsError(
            "ARVO_APP is not set: give the module:attribute of the ArvoApp to serve "
            "(e.g. ARVO_APP=examples.app:app)"
        )
    try:
        parse_app_spec(app)
    except SettingsError:
        raise SettingsError(
            f"ARVO_APP must be module:attribute (e.g. examples.app:app); got {app!r}"
        ) from None
    codec = env.get("ARVO_CODEC", "").strip() or None
    if codec is not None:
        try:
            parse_spec(codec, what="codec", example="examples.codec:codec")
        except SettingsError:
            raise SettingsError(
                f"ARVO_CODEC must be module:attribute (e.g. examples.codec:codec); got {codec!r}"
            ) from None
    return WorkerSettings(
        connection=connection_from_env(env),
        app=app,
        task_queue=env.get("TASK_QUEUE", "").strip() or None,
        sinks=sinks_from_env(env),
        dead_letter=dead_letter_from_env(env),
        data_dir=data_dir_from_env(env),
        codec=codec,
        deployment=deployment_from(
            env.get("ARVO_DEPLOYMENT_NAME"),
            env.get("ARVO_BUILD_ID"),
            names=("ARVO_DEPLOYMENT_NAME", "ARVO_BUILD_ID"),
        ),
        connect_timeout=_seconds(env, "TEMPORAL_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT),
        shutdown_grace=_seconds(env, "ARVO_SHUTDOWN_GRACE", DEFAULT_SHUTDOWN_GRACE),
    )


async def run(settings: WorkerSettings, *, stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set, or, when none is given, until SIGTERM or SIGINT.

    Raises:
        SettingsError / CommandError: a bad app or sink, no connection, or a failed worker.
    """
    logger.info(
        "connecting to %s (namespace %s, TLS %s)",
        settings.connection.address,
        settings.connection.namespace,
        "on" if settings.connection.use_tls else "off",
    )
    if stop is not None:
        await serve(settings, stop=stop, log=logger.info)
        return
    stop = asyncio.Event()
    with stop_on_signals(stop):
        await serve(settings, stop=stop, log=logger.info)


def main(env: Mapping[str, str] | None = None) -> int:
    """Entry point; returns the exit status."""
    env = os.environ if env is None else env
    level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    logging.basicConfig(
        level=level if level in _LOG_LEVELS else "INFO",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        settings = load_settings(env)
        asyncio.run(run(settings))
    except CommandError as error:
        sys.stderr.write(f"workers.main: {' '.join(str(error).split())}\n")
        return error.code
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down
        return 130
    logger.info("worker stopped")
    return 0


if __name__ == "__main__":
    exit_now(main())
