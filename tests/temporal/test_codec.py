"""Encryption end to end with the example AES-GCM codec (examples/codec.py).

One execution runs with every payload encrypted: the history as the cluster stores it holds no
readable event data, and still the client, the worker, the CLI (with ``--codec``), a replay of
the history and the replay gate all work, because each of them is given the same codec.
"""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Worker

from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoPlugin, ArvoTemporalClient
from arvo_temporal.temporal._replay import replay_history
from examples.app import build_app
from examples.approval.starter import decision_event, expense_init
from examples.codec import ENCODING, KEY_ENV, EncryptionCodec, new_key
from tests.temporal.test_cli import cli


def stored_payloads(history: WorkflowHistory) -> dict[str, Payload]:
    """Every payload of a history as stored, by where it is (``<event id>.<field>…``), except
    search attributes, which are indexed and never encoded (they hold identifiers only)."""
    found: dict[str, Payload] = {}

    def walk(message: Message, path: str) -> None:
        for field, value in message.ListFields():
            if field.name == "search_attributes" or field.message_type is None:
                continue
            if field.message_type.GetOptions().map_entry:
                if field.message_type.fields_by_name["value"].message_type is None:
                    continue  # a map of plain strings
                items = [(f"{path}.{field.name}[{key}]", item) for key, item in value.items()]
            elif field.is_repeated:
                items = [(f"{path}.{field.name}[{i}]", item) for i, item in enumerate(value)]
            else:
                items = [(f"{path}.{field.name}", value)]
            for where, item in items:
                if isinstance(item, Payload):
                    found[where] = item
                else:
                    walk(item, where)

    for event in history.events:
        walk(event, str(event.event_id))
    return found


@pytest.fixture
def key(monkeypatch) -> str:
    """A fresh key, also where ``--codec examples.codec:codec`` looks for it."""
    value = new_key()
    monkeypatch.setenv(KEY_ENV, value)
    return value


async def test_no_event_data_is_readable_but_everything_still_works(
    temporal_server, task_queue, tmp_path, key
):
    secret = f"dinner about the Initech merger {uuid.uuid4()}"
    approver_note = f"approved, keep it quiet {uuid.uuid4()}"
    # Spaces keep these out of base64 ciphertext, where short words turn up by chance.
    approver = f"kim {uuid.uuid4()}"
    codec = EncryptionCodec(base64.b64decode(key))
    encrypted = DataConverter(payload_codec=codec)
    external = MemorySink()
    app = build_app(task_queue=task_queue, sinks={"default": MemorySink(), "external": external})
    plugged = await temporal_server.connect(data_converter=encrypted, plugins=[ArvoPlugin(app)])
    client = ArvoTemporalClient(plugged, task_queue=task_queue)
    opts = ["--address", temporal_server.target, "--task-queue", task_queue]
    codec_opt = ["--codec", "examples.codec:codec"]

    async with Worker(plugged, task_queue=task_queue):
        init = expense_init(640, secret, timeout_seconds=600)
        await client.send(init)  # the client encrypts
        (request,) = await external.wait_for(1)  # the worker decrypted, ran, re-encrypted
        assert secret in json.dumps(request.data)
        answer = decision_event(
            init.subject,
            approved=True,
            approver=approver,
            comment=approver_note,
            request_id=request.id,
        )
        sent = await cli("send", "-", *opts, *codec_opt, stdin=json.dumps(answer.to_json()))
        assert sent.code == 0, sent.err
        result = await cli("result", init.subject, *opts, *codec_opt)
        assert result.code == 0, result.err
        assert result.json()["comment"] == approver_note
        status = await cli("status", init.subject, *opts, *codec_opt)
        assert status.code == 0, status.err
        assert status.json()["status"] == "done"
        saved = tmp_path / "encrypted-history.json"
        fetched = await cli("history", init.subject, "-o", str(saved), *opts)
        assert fetched.code == 0, fetched.err

    # What the cluster stores: fetched without the codec, as anyone with database access sees it.
    raw = await temporal_server.connect()
    history = await raw.get_workflow_handle(client.workflow_id(init.subject)).fetch_history()
    stored = history.to_json()
    for readable in (secret, approver_note, "Initech merger", approver, '"amount"'):
        assert readable not in stored, readable
    assert secret.encode() not in b"".join(event.SerializeToString() for event in history.events)
    payloads = stored_payloads(history)
    # A local activity's marker carries the SDK core's own bookkeeping (sequence, attempt,
    # activity id and type, times) as plain JSON; its result is a payload like any other.
    bookkeeping = {
        where for where in payloads if ".marker_recorded_event_attributes.details[data]." in where
    }
    encoded = {where: payload for where, payload in payloads.items() if where not in bookkeeping}
    assert len(encoded) >= 6  # input, signals, activity inputs and results, memo, result …
    plain = sorted(
        where for where, payload in encoded.items() if payload.metadata["encoding"] != ENCODING
    )
    assert plain == []
    assert any(".marker_recorded_event_attributes.details[result]." in where for where in encoded)

    # Without the codec the stored data is unusable, with it everything reads back.
    without = await cli("result", init.subject, *opts)
    assert without.code == 1
    assert "binary/encrypted" in without.error_line and "--codec" in without.error_line
    with_codec = ArvoTemporalClient(
        await temporal_server.connect(data_converter=encrypted, plugins=[ArvoPlugin()]),
        task_queue=task_queue,
    )
    assert (await with_codec.result(init.subject))["comment"] == approver_note

    # Replay: the history as stored replays with the codec, and the CLI does the same.
    await replay_history(history, app=app, data_converter=encrypted)
    replayed = await cli("replay", str(saved), "--app", "examples.app:app", *codec_opt)
    assert replayed.code == 0, replayed.err
    assert replayed.json()["replayed"] is True
    gate = await cli(
        "replay", "--app", "examples.app:app", "--query", f"TaskQueue = '{task_queue}'",
        *opts, *codec_opt,
    )  # fmt: skip
    assert gate.code == 0, gate.err
    assert gate.json()["replayed"] == 1
