"""The HTTP CloudEvents ingress on the session dev server, over real HTTP on loopback.

Each test starts an ingress in process on a free port (``IngressServer(port=0)``) in front of a
real worker for the example app; the SIGTERM test runs ``arvo-temporal ingress`` as a process.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from arvo_temporal import ArvoEvent, ArvoOrchestrationSubject
from arvo_temporal.ingress import IngressServer, IngressSettings
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoTemporalClient, DevServer, create_worker, workflow_id_for
from arvo_temporal.transport import to_http
from examples.app import build_app
from examples.approval.starter import decision_event, expense_init
from examples.calculator.starter import adder_init
from tests.temporal.test_cli import free_port, serving
from tests.temporal.waiting import eventually

STRUCTURED = {"content-type": "application/cloudevents+json"}
BATCH = {"content-type": "application/cloudevents-batch+json"}
PROBLEM = "application/problem+json"


def structured(event: ArvoEvent) -> bytes:
    return json.dumps(event.to_json()).encode()


@dataclass
class Ingress:
    http: httpx.AsyncClient
    client: ArvoTemporalClient
    server: IngressServer

    async def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.http.post("/", content=body, headers=headers)

    async def post_event(self, event: ArvoEvent, **headers: str) -> httpx.Response:
        return await self.post(structured(event), {**STRUCTURED, **headers})


@pytest.fixture
async def ingress(temporal_client, task_queue) -> AsyncIterator[Ingress]:
    app = build_app(
        task_queue=task_queue, sinks={"default": MemorySink(), "external": MemorySink()}
    )
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    server = IngressServer(
        app, client, port=0, settings=IngressSettings(accept_timeout=timedelta(seconds=30))
    )
    async with (
        create_worker(client, app=app),
        server,
        httpx.AsyncClient(base_url=server.url, timeout=60) as http,
    ):
        yield Ingress(http, client, server)


def assert_problem(response: httpx.Response, status: int, field: str | None, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"] == f"urn:arvo-temporal:problem:{slug}"
    assert problem["title"] and problem["detail"]
    assert problem.get("field") == field
    assert "Traceback" not in response.text
    return problem


async def workflow_task_failures(client: ArvoTemporalClient, subject: str) -> list[str]:
    history = await client.temporal.get_workflow_handle(client.workflow_id(subject)).fetch_history()
    return [
        event.workflow_task_failed_event_attributes.failure.message
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]


# ------------------------------------------------------------------------------ the three modes


async def test_structured_init_is_accepted_once_temporal_holds_it(ingress):
    init = adder_init(2, 3)
    response = await ingress.post_event(init)
    assert response.status_code == 202
    assert response.json() == {
        "accepted": [{"id": init.id, "workflow_id": ingress.client.workflow_id(init.subject)}]
    }
    assert "preference-applied" not in response.headers
    assert await ingress.client.result(init.subject) == {"success": True, "sum": 5, "errors": []}


async def test_binary_mode_init(ingress):
    init = adder_init(20, 22)
    parts = to_http(init, mode="binary")
    assert parts.headers["ce-id"] == init.id  # binary mode for real: attributes in headers
    response = await ingress.post(parts.body, parts.headers)
    assert response.status_code == 202, response.text
    assert (await ingress.client.result(init.subject))["sum"] == 42


async def test_batch_mode_accepts_every_event_in_order(ingress):
    first, second = adder_init(1, 1), adder_init(2, 2)
    body = json.dumps([first.to_json(), second.to_json()]).encode()
    response = await ingress.post(body, BATCH)
    assert response.status_code == 202, response.text
    assert [item["id"] for item in response.json()["accepted"]] == [first.id, second.id]
    assert (await ingress.client.result(first.subject))["sum"] == 2
    assert (await ingress.client.result(second.subject))["sum"] == 4


async def test_an_event_for_a_running_execution_is_signalled(ingress):
    init = expense_init(120, "team lunch")
    assert (await ingress.post_event(init)).status_code == 202
    answer = decision_event(init.subject, approved=True, approver="alice")
    parts = to_http(answer, mode="binary")
    response = await ingress.post(parts.body, parts.headers)
    assert response.status_code == 202, response.text
    output = await ingress.client.result(init.subject)
    assert output["approved"] is True and output["approver"] == "alice"


# ------------------------------------------------------------------------------ Prefer: wait


async def test_prefer_wait_answers_200_with_the_resulting_events(ingress):
    init = adder_init(2, 3)
    response = await ingress.post_event(init, prefer="wait=30")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/cloudevents-batch+json"
    assert response.headers["preference-applied"] == "wait=30"
    events = [ArvoEvent.from_json(item) for item in response.json()]
    assert [(e.type, e.subject, e.parentid) for e in events] == [
        ("com.calculator.add", init.subject, init.id)
    ]
    assert events[0].data == {"a": 2, "b": 3}


async def test_prefer_wait_is_capped_by_the_ingress(temporal_client, task_queue):
    app = build_app(
        task_queue=task_queue, sinks={"default": MemorySink(), "external": MemorySink()}
    )
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    settings = IngressSettings(max_wait=timedelta(seconds=7))
    async with (
        create_worker(client, app=app),
        IngressServer(app, client, port=0, settings=settings) as server,
        httpx.AsyncClient(base_url=server.url, timeout=60) as http,
    ):
        response = await http.post(
            "/", content=structured(adder_init(1, 2)), headers={**STRUCTURED, "prefer": "wait=3600"}
        )
    assert response.status_code == 200
    assert response.headers["preference-applied"] == "wait=7"


async def test_a_wait_that_runs_out_still_accepts_the_event_durably(temporal_client, task_queue):
    # No worker: nothing can apply the event within the wait, but Temporal holds it (202).
    app = build_app(
        task_queue=task_queue, sinks={"default": MemorySink(), "external": MemorySink()}
    )
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    init = adder_init(4, 5)
    async with (
        IngressServer(app, client, port=0) as server,
        httpx.AsyncClient(base_url=server.url, timeout=60) as http,
    ):
        response = await http.post(
            "/", content=structured(init), headers={**STRUCTURED, "prefer": "wait=1"}
        )
        assert response.status_code == 202, response.text
        assert "preference-applied" not in response.headers
        async with create_worker(client, app=app):  # a worker comes: the event is applied once
            assert (await client.result(init.subject))["sum"] == 9
    assert await workflow_task_failures(client, init.subject) == []


# ------------------------------------------------------------------------------ idempotency


async def test_a_re_post_is_accepted_once_and_answered_the_same_way(ingress):
    init = adder_init(3, 4)
    first = await ingress.post_event(init)
    again = await ingress.post_event(init)
    assert (again.status_code, again.content) == (first.status_code, first.content)
    await ingress.client.result(init.subject)
    history = await ingress.client.temporal.get_workflow_handle(
        ingress.client.workflow_id(init.subject)
    ).fetch_history()
    deliveries = [
        event
        for event in history.events
        if event.event_type
        in (
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        )
    ]
    started = history.events[0].workflow_execution_started_event_attributes
    # The init came in the start input; the re-POST never reached Temporal again.
    assert deliveries == [] and started.input.payloads, deliveries


async def test_a_re_post_with_wait_gets_the_same_events(ingress):
    init = adder_init(6, 7)
    first = await ingress.post_event(init, prefer="wait=30")
    again = await ingress.post_event(init, prefer="wait=30")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["preference-applied"] == first.headers["preference-applied"]


async def test_concurrent_posts_of_one_event_share_one_delivery(ingress):
    init = adder_init(8, 9)
    responses = await asyncio.gather(*(ingress.post_event(init) for _ in range(5)))
    assert {(r.status_code, r.content) for r in responses} == {
        (responses[0].status_code, responses[0].content)
    }
    assert responses[0].status_code == 202


async def test_a_re_post_to_another_ingress_is_applied_once_by_temporal(ingress):
    # A second ingress process has no memory of the answer: Temporal's de-duplication by event
    # id is what keeps the re-POST from being applied twice.
    init = adder_init(1, 2)
    assert (await ingress.post_event(init)).status_code == 202
    assert (await ingress.client.result(init.subject))["sum"] == 3
    other = IngressServer(build_app(task_queue=ingress.client.task_queue), ingress.client, port=0)
    async with other, httpx.AsyncClient(base_url=other.url) as http:
        response = await http.post("/", content=structured(init), headers=STRUCTURED)
    # The execution is finished, so Temporal refuses the init again rather than start over.
    assert_problem(response, 409, "subject", "execution-closed")
    assert await workflow_task_failures(ingress.client, init.subject) == []


async def test_an_id_reused_for_another_event_is_refused(ingress):
    init = adder_init(1, 1)
    assert (await ingress.post_event(init)).status_code == 202
    impostor = init.model_copy(update={"data": {**init.data, "a": 100}})
    assert_problem(await ingress.post_event(impostor), 409, "id", "event-id-reused")


# ------------------------------------------------------------------------------ authentication


async def test_bearer_tokens(temporal_client, task_queue):
    app = build_app(
        task_queue=task_queue, sinks={"default": MemorySink(), "external": MemorySink()}
    )
    client = ArvoTemporalClient(temporal_client, task_queue=task_queue)
    settings = IngressSettings(tokens=("first-secret", "second-secret"))
    async with (
        IngressServer(app, client, port=0, settings=settings) as server,
        httpx.AsyncClient(base_url=server.url, timeout=60) as http,
    ):

        async def post(**auth: str) -> httpx.Response:
            return await http.post(
                "/", content=structured(adder_init(1, 2)), headers={**STRUCTURED, **auth}
            )

        missing = await post()
        assert_problem(missing, 401, "authorization", "unauthorized")
        assert missing.headers["www-authenticate"].startswith("Bearer ")
        wrong = await post(authorization="Bearer first-secre")
        assert_problem(wrong, 401, "authorization", "unauthorized")
        assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
        basic = await post(authorization="Basic Zmlyc3Qtc2VjcmV0")
        assert_problem(basic, 401, "authorization", "unauthorized")
        for token in settings.tokens:
            assert (await post(authorization=f"Bearer {token}")).status_code == 202
        # Health is for load balancers: no token needed.
        assert (await http.get("/healthz")).status_code == 200


# ------------------------------------------------------------------------------ each error code


async def test_malformed_and_contract_violating_events_are_400_naming_the_field(ingress):
    assert_problem(await ingress.post(b"{not json", STRUCTURED), 400, "event", "invalid-event")
    document = adder_init(1, 2).to_json()
    del document["source"]
    problem = assert_problem(
        await ingress.post(json.dumps(document).encode(), STRUCTURED),
        400,
        "source",
        "invalid-event",
    )
    assert "source" in problem["errors"]
    bad_data = adder_init(1, 2).model_copy(update={"data": {"parentSubject$$": None, "a": "two"}})
    problem = assert_problem(
        await ingress.post_event(bad_data), 400, "data.a", "contract-violation"
    )
    assert {issue["path"] for issue in problem["issues"]} >= {"a", "b"}
    wrong_schema = adder_init(1, 2).model_copy(update={"dataschema": "#/elsewhere/1.0.0"})
    assert_problem(await ingress.post_event(wrong_schema), 400, "dataschema", "contract-violation")
    init = adder_init(1, 2)
    stranger = init.model_copy(update={"type": "evt.nobody.knows"})
    assert_problem(await ingress.post_event(stranger), 400, "type", "config-violation")
    not_orchestration = init.model_copy(update={"subject": "just-a-string"})
    assert_problem(await ingress.post_event(not_orchestration), 400, "subject", "invalid-subject")


async def test_a_bad_event_in_a_batch_is_named_by_its_index(ingress):
    good = adder_init(1, 2)
    bad = adder_init(1, 2).to_json()
    bad["time"] = "yesterday"
    body = json.dumps([good.to_json(), bad]).encode()
    problem = assert_problem(
        await ingress.post(body, BATCH), 400, "events[1].time", "invalid-event"
    )
    assert set(problem["errors"]) == {"events[1].time"}
    contract = adder_init(1, 2).model_copy(update={"data": {"parentSubject$$": None}})
    body = json.dumps([good.to_json(), good.to_json(), contract.to_json()]).encode()
    assert_problem(await ingress.post(body, BATCH), 400, "events[2].data.a", "contract-violation")
    # Nothing of a refused batch was delivered, not even its good first event.
    handle = ingress.client.temporal.get_workflow_handle(ingress.client.workflow_id(good.subject))
    with pytest.raises(RPCError) as missing:
        await handle.describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND
    assert_problem(await ingress.post(b"[]", BATCH), 400, "events", "invalid-event")
    assert_problem(await ingress.post(b'{"a": 1}', BATCH), 400, "events", "invalid-event")


async def test_unknown_orchestrator_or_execution_is_404(ingress):
    subject = ArvoOrchestrationSubject.new(
        orchestrator="arvo.orc.nobody", version="1.0.0", initiator="com.test.client"
    )
    foreign = adder_init(1, 2).model_copy(update={"subject": subject, "type": "arvo.orc.nobody"})
    assert_problem(await ingress.post_event(foreign), 404, "subject", "orchestrator-not-served")
    other_version = ArvoOrchestrationSubject.new(
        orchestrator="arvo.orc.adder", version="9.9.9", initiator="com.test.client"
    )
    versioned = adder_init(1, 2).model_copy(update={"subject": other_version})
    assert_problem(await ingress.post_event(versioned), 404, "subject", "orchestrator-not-served")
    never_started = decision_event(expense_init(1, "x").subject, approved=True, approver="a")
    assert_problem(await ingress.post_event(never_started), 404, "subject", "execution-not-found")


async def test_an_event_for_a_finished_execution_is_409(ingress):
    init = adder_init(1, 2)
    assert (await ingress.post_event(init)).status_code == 202
    await ingress.client.result(init.subject)
    again = adder_init(1, 2).model_copy(update={"subject": init.subject})  # a new id, same subject
    assert_problem(await ingress.post_event(again), 409, "subject", "execution-closed")
    late = decision_event(init.subject, approved=True, approver="a")
    late = late.model_copy(update={"type": "evt.calculator.add.success", "data": {"result": 1}})
    late = late.model_copy(update={"dataschema": "#/examples/calculator/add/1.0.0"})
    assert_problem(await ingress.post_event(late), 409, "subject", "execution-closed")


async def test_bodies_over_the_limit_are_413_before_parsing(ingress):
    limit = ingress.client.max_event_bytes
    declared = await ingress.post(b"x" * (limit + 1), STRUCTURED)
    assert_problem(declared, 413, "body", "body-too-large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    streamed = await ingress.http.post("/", content=chunks(), headers=STRUCTURED)
    assert "content-length" not in streamed.request.headers
    assert_problem(streamed, 413, "body", "body-too-large")


async def test_wrong_content_types_are_415(ingress):
    body = structured(adder_init(1, 2))
    for content_type in ("text/plain", "application/xml", "", "application/cloudevents+avro"):
        response = await ingress.post(body, {"content-type": content_type})
        assert_problem(response, 415, "content-type", "unsupported-media-type")
        assert "application/cloudevents+json" in response.headers["accept-post"]
    binary = to_http(adder_init(1, 2), mode="binary")
    response = await ingress.post(binary.body, {**binary.headers, "content-type": "text/plain"})
    assert_problem(response, 415, "content-type", "unsupported-media-type")
    headers = {k: v for k, v in binary.headers.items() if k != "ce-specversion"}
    assert_problem(await ingress.post(binary.body, headers), 400, "ce-specversion", "invalid-event")


async def test_routes_and_methods(ingress):
    assert_problem(await ingress.http.get("/nowhere"), 404, None, "http-error")
    assert_problem(await ingress.http.get("/"), 405, None, "http-error")
    health = await ingress.http.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "alive"})
    ready = await ingress.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["orchestrators"] == [
        "arvo.orc.adder",
        "arvo.orc.checkout",
        "arvo.orc.expense",
    ]


async def test_unreachable_temporal_is_503_with_retry_after(task_queue):
    # A dev server of its own, stopped under the connected ingress: Temporal is really gone.
    async with DevServer.start() as doomed:
        client = ArvoTemporalClient(await doomed.connect(), task_queue=task_queue)
    app = build_app(
        task_queue=task_queue, sinks={"default": MemorySink(), "external": MemorySink()}
    )

    async def ready() -> None:
        await client.temporal.service_client.check_health(timeout=timedelta(seconds=1))

    settings = IngressSettings(accept_timeout=timedelta(seconds=1), retry_after=7)
    async with (
        IngressServer(app, client, port=0, settings=settings, ready=ready) as ingress,
        httpx.AsyncClient(base_url=ingress.url, timeout=60) as http,
    ):
        init = adder_init(1, 2)
        response = await http.post("/", content=structured(init), headers=STRUCTURED)
        assert_problem(response, 503, None, "temporal-unavailable")
        assert response.headers["retry-after"] == "7"
        waited = await http.post(
            "/", content=structured(init), headers={**STRUCTURED, "prefer": "wait=1"}
        )
        assert_problem(waited, 503, None, "temporal-unavailable")
        not_ready = await http.get("/readyz")
        assert_problem(not_ready, 503, None, "not-ready")
        assert not_ready.headers["retry-after"] == "7"
        assert (await http.get("/healthz")).status_code == 200


# ------------------------------------------------------------------------------ the process


async def test_the_command_finishes_requests_in_flight_on_sigterm(temporal_server, task_queue):
    port = free_port()
    async with serving(
        "arvo_temporal.cli", "ingress", "--app", "examples.app:app",
        "--listen", f"127.0.0.1:{port}", "--address", temporal_server.target,
        "--task-queue", task_queue,
        ready="press Ctrl-C or send SIGTERM", stop=signal.SIGTERM,
    ) as served:  # fmt: skip
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            assert (await http.get("/readyz")).status_code == 200
            # No worker serves this task queue, so the wait runs its full 3 s: in flight.
            init = adder_init(1, 2)
            in_flight = asyncio.create_task(
                http.post("/", content=structured(init), headers={**STRUCTURED, "prefer": "wait=3"})
            )
            # In flight for sure once its update-with-start has created the execution.
            temporal = await Client.connect(temporal_server.target)
            handle = temporal.get_workflow_handle(workflow_id_for(init.subject))
            await eventually(lambda: exists(handle), "the in-flight request's execution")
            served.process.send_signal(signal.SIGTERM)
            response = await in_flight
        assert response.status_code == 202, response.text
    assert served.process.returncode == 0, served.stderr
    assert "ingress stopped" in served.stderr
    assert "Traceback" not in served.stderr
    # The accepted event is held: it waits for a worker in its execution's history (the
    # execute had created the execution; the send that followed it found no worker to accept
    # an update and signalled).
    history = await handle.fetch_history()
    kinds = {event.event_type for event in history.events}
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED in kinds


async def exists(handle) -> bool:
    try:
        await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True
