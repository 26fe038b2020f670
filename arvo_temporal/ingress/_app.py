"""The ingress as an ASGI application (Starlette): ``POST /`` takes CloudEvents, ``GET /healthz``
and ``GET /readyz`` tell a load balancer whether to send more.

One request goes: bearer token → CloudEvents mode from the headers → body under the size limit
→ events parsed → every event admitted (the app's pure checks) → each event, in order, answered
from the idempotency cache or delivered (``send``: 202 once Temporal holds it; with
``Prefer: wait``, ``execute``: 200 with the resulting events). Every refusal is a problem
document (arvo_temporal/ingress/_problems.py); an unexpected error is logged and answered 500
without internals.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from arvo_temporal.errors import ExecutionTimeoutError
from arvo_temporal.events import ArvoEvent
from arvo_temporal.ingress._admission import Admission
from arvo_temporal.ingress._answers import Answer, AnswerCache
from arvo_temporal.ingress._auth import check_bearer
from arvo_temporal.ingress._batch import BATCH_CONTENT_TYPE
from arvo_temporal.ingress._body import read_limited
from arvo_temporal.ingress._decode import decode_events, mode_of
from arvo_temporal.ingress._prefer import preferred_wait
from arvo_temporal.ingress._problems import (
    PROBLEM_CONTENT_TYPE,
    Problem,
    ProblemError,
    problem_for,
)
from arvo_temporal.ingress._settings import IngressSettings
from arvo_temporal.orchestration.result import OrchestratorResult
from arvo_temporal.orchestration.step import OrchestratorSettings
from arvo_temporal.registry import MachineRegistry

if TYPE_CHECKING:
    from arvo_temporal.temporal._app import ArvoApp

__all__ = ["EventGateway", "ReadinessProbe", "create_ingress_app"]

_log = logging.getLogger("arvo_temporal.ingress")

ReadinessProbe = Callable[[], Awaitable[None]]
"""Returns when Temporal is reachable; raises (anything) when it is not."""


class EventGateway(Protocol):
    """Where events go: ``ArvoTemporalClient`` is one (the ingress needs no more of it)."""

    max_event_bytes: int

    def workflow_id(self, subject: str) -> str: ...

    async def send(self, event: ArvoEvent, *, wait: timedelta | None = None) -> str: ...

    async def execute(
        self, event: ArvoEvent, *, wait: timedelta | None = None
    ) -> OrchestratorResult: ...


def _problem_response(problem: Problem) -> Response:
    return Response(
        problem.body(),
        status_code=problem.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=dict(problem.headers),
    )


def _json_response(document: Any, *, status: int = 200) -> Response:
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json")


_INTERNAL = Problem(
    500,
    "internal-error",
    "The ingress failed unexpectedly",
    "an unexpected error; it was logged on the server, and the same event may be sent again",
)


def _answer_response(answers: Sequence[Answer]) -> Response:
    """200 with every resulting event when all were executed, else 202 listing what was
    accepted (an event whose wait ran out was accepted instead)."""
    if all(answer.events is not None for answer in answers):
        produced = [event for answer in answers for event in answer.events or ()]
        waits = {answer.wait for answer in answers}
        body = json.dumps(produced, ensure_ascii=False).encode("utf-8")
        return Response(
            body,
            status_code=200,
            media_type=BATCH_CONTENT_TYPE,
            headers={"Preference-Applied": f"wait={max(w or 0 for w in waits)}"},
        )
    accepted = [{"id": a.event_id, "workflow_id": a.workflow_id} for a in answers]
    return _json_response({"accepted": accepted}, status=202)


class _Ingress:
    """The request handlers of one ingress (one app, one gateway, one answer cache)."""

    def __init__(
        self,
        admission: Admission,
        gateway: EventGateway,
        settings: IngressSettings,
        ready: ReadinessProbe | None,
    ) -> None:
        self.admission = admission
        self.gateway = gateway
        self.settings = settings
        self.ready_probe = ready
        self.max_event_bytes = settings.max_event_bytes or gateway.max_event_bytes
        self.answers = AnswerCache(
            max_entries=settings.answer_cache_entries, max_bytes=settings.answer_cache_bytes
        )

    async def receive(self, request: Request) -> Response:
        try:
            return await self._receive(request)
        except Exception as error:
            return self._refusal(error)

    def _refusal(self, error: Exception) -> Response:
        problem = problem_for(error, retry_after=self.settings.retry_after)
        if problem is None:
            _log.exception("the ingress failed on a request")
            return _problem_response(_INTERNAL)
        return _problem_response(problem)

    async def _receive(self, request: Request) -> Response:
        headers = {name.lower(): value for name, value in request.headers.items()}
        check_bearer(headers, self.settings.token_bytes)
        mode = mode_of(headers)
        batch = mode == "batch"
        limit = self.settings.max_batch_bytes if batch else self.max_event_bytes
        try:
            body = await read_limited(
                headers, request.stream(), limit=limit, what="a batch" if batch else "an event"
            )
        except ClientDisconnect:
            raise ProblemError(
                Problem(400, "bad-request", "The body was cut short", "the client went away")
            ) from None
        events = decode_events(headers, body, mode=mode, max_depth=self.settings.max_depth)
        if len(events) > self.settings.max_batch_events:
            raise ProblemError(
                Problem(
                    413,
                    "batch-too-large",
                    "The batch holds more events than the ingress takes at once",
                    f"{len(events)} events, over the limit of {self.settings.max_batch_events}",
                    "events",
                    extra={"limit": self.settings.max_batch_events},
                )
            )
        for index, event in enumerate(events):
            try:
                self.admission.check(event)
            except ProblemError as refused:
                if not batch:
                    raise
                raise ProblemError(refused.problem.at(f"events[{index}]")) from None
        wait = preferred_wait(
            request.headers.getlist("prefer"), cap=int(self.settings.max_wait.total_seconds())
        )
        answers: list[Answer] = []
        for index, event in enumerate(events):
            try:
                answer, _ = await self.answers.answer(
                    event, functools.partial(self._deliver, event, wait=wait)
                )
            except Exception as error:
                if not batch:
                    raise
                problem = problem_for(error, retry_after=self.settings.retry_after)
                if problem is None:
                    raise
                accepted = [a.event_id for a in answers]
                raise ProblemError(
                    problem.at(f"events[{index}]").with_extra(accepted=accepted)
                ) from None
            answers.append(answer)
        return _answer_response(answers)

    async def _deliver(self, event: ArvoEvent, digest: str, *, wait: int | None) -> Answer:
        workflow_id = self.gateway.workflow_id(event.subject)
        if wait is not None:
            try:
                result = await self.gateway.execute(event, wait=timedelta(seconds=wait))
            except ExecutionTimeoutError:
                # No answer within the wait: make sure Temporal holds the event (the same id
                # is applied once), and answer 202 without Preference-Applied (RFC 7240).
                pass
            else:
                produced = tuple(produced.to_json() for produced in result.all_events)
                return Answer(event.id, digest, workflow_id, events=produced, wait=wait)
        await self.gateway.send(event, wait=self.settings.accept_timeout)
        return Answer(event.id, digest, workflow_id)

    async def healthz(self, request: Request) -> Response:
        return _json_response({"status": "alive"})

    async def readyz(self, request: Request) -> Response:
        if self.ready_probe is not None:
            try:
                async with asyncio.timeout(self.settings.ready_timeout.total_seconds()):
                    await self.ready_probe()
            except Exception as error:
                reason = str(error) or type(error).__name__
                return self._not_ready(f"Temporal is not reachable: {reason}")
        return _json_response({"status": "ready", "orchestrators": self.admission.served})

    def _not_ready(self, detail: str) -> Response:
        return _problem_response(
            Problem(
                503,
                "not-ready",
                "The ingress cannot take events now",
                " ".join(detail.split()),
                headers={"Retry-After": str(self.settings.retry_after)},
            )
        )


async def _http_problem(request: Request, error: Exception) -> Response:
    status = error.status_code if isinstance(error, HTTPException) else 500
    headers = dict(error.headers or {}) if isinstance(error, HTTPException) else {}
    titles = {404: "No such resource", 405: "Method not allowed"}
    detail = f"{request.method} {request.url.path}: POST CloudEvents to /; GET /healthz or /readyz"
    if status >= 500:
        return _problem_response(_INTERNAL)
    return _problem_response(
        Problem(status, "http-error", titles.get(status, "Bad request"), detail, headers=headers)
    )


async def _internal(request: Request, error: Exception) -> Response:
    _log.error("the ingress failed on %s %s", request.method, request.url.path, exc_info=error)
    return _problem_response(_INTERNAL)


def create_ingress_app(
    app: ArvoApp,
    gateway: EventGateway,
    *,
    settings: IngressSettings | None = None,
    ready: ReadinessProbe | None = None,
) -> Starlette:
    """The ingress for ``app``'s orchestrators, delivering through ``gateway``.

    Args:
        app: the ArvoApp whose orchestrators receive events (others are answered 404).
        gateway: an ``ArvoTemporalClient`` (on the app's task queue).
        settings: limits, waits and tokens (``IngressSettings()`` by default).
        ready: the ``/readyz`` probe; None reports ready whenever the process runs.
    """
    registries: dict[str, MachineRegistry | None] = {}
    for source in app.orchestrators:
        served = app.settings_for(source)
        registries[source] = served.registry if isinstance(served, OrchestratorSettings) else None
    ingress = _Ingress(Admission(registries), gateway, settings or IngressSettings(), ready)
    return Starlette(
        routes=[
            Route("/", ingress.receive, methods=["POST"]),
            Route("/healthz", ingress.healthz, methods=["GET"]),
            Route("/readyz", ingress.readyz, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _http_problem, Exception: _internal},
    )
