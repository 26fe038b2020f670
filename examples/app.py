"""All three examples as one deployable ``ArvoApp``.

``examples.app:app`` is what the docker compose worker serves (``ARVO_APP``) and what
``arvo-temporal dev --app examples.app:app`` runs. ``build_app`` makes a fresh one, so the demo
and the tests can choose their own task queue and sinks::

    app = build_app(task_queue="mine", sinks={"default": MemorySink(), "external": MemorySink()})

Sinks, when not given: the ``ARVO_SINK_<DOMAIN>`` variables of the environment (see
``arvo_temporal.cli.sinks_from_env``), else stdout for ``default`` (completions,
events for services outside this app) and stdout with the full JSON for ``external`` (the
approval request, whose subject a person needs to answer it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from arvo_temporal.cli import build_sinks, sinks_from_env
from arvo_temporal.sinks import EventSink, StdoutSink
from arvo_temporal.temporal import ArvoApp
from examples.approval.machine import build_expense_machine
from examples.calculator.handlers import make_calculator_handler
from examples.calculator.machine import build_adder_machine
from examples.parent_child.machine import build_checkout_machine

TASK_QUEUE = "arvo"


def default_sinks(env: Mapping[str, str]) -> dict[str, EventSink]:
    """Sinks from ``ARVO_SINK_*`` in ``env``, with stdout for ``default`` and ``external``."""
    sinks: dict[str, EventSink] = {"default": StdoutSink(), "external": StdoutSink(pretty=True)}
    sinks.update(build_sinks(sinks_from_env(env)))
    return sinks


def build_app(
    *, task_queue: str = TASK_QUEUE, sinks: Mapping[str, EventSink] | None = None
) -> ArvoApp:
    """The calculator service, the adder, the checkout and the expense approval in one app.

    Args:
        task_queue: where its workflows and activities run.
        sinks: domain → sink; ``None`` reads ``ARVO_SINK_*`` from the environment (stdout
            otherwise).
    """
    return ArvoApp(
        orchestrators=[build_adder_machine(), build_checkout_machine(), build_expense_machine()],
        handlers=[make_calculator_handler()],
        sinks=default_sinks(os.environ) if sinks is None else sinks,
        task_queue=task_queue,
    )


app = build_app()
