"""ArvoOrchestrationSubject beyond the vectors: exact error messages, strict base64, non-ASCII
text kept as UTF-8 (as JavaScript's JSON.stringify writes it) and ids from the given source."""

from __future__ import annotations

import base64
import zlib

import pytest

from arvo_temporal import ArvoOrchestrationSubject, DeterministicSource, InvalidSubjectError

CONTENT = {
    "orchestrator": {"name": "arvo.orc.adder", "version": "1.0.0"},
    "execution": {"id": "run-1", "initiator": "com.anchor.client", "domain": None},
    "meta": {"redirectto": "com.anchor.sink"},
}


def _text(subject: str) -> str:
    return zlib.decompress(base64.b64decode(subject)).decode("utf-8")


def test_non_ascii_text_is_written_as_utf8_not_escaped():
    subject = ArvoOrchestrationSubject.create({**CONTENT, "meta": {"note": "café"}})
    assert '"note":"café"' in _text(subject)
    assert ArvoOrchestrationSubject.parse(subject).meta == {"note": "café"}


def test_every_invalid_field_is_named_in_one_message():
    broken = {
        **CONTENT,
        "orchestrator": {"name": "Adder", "version": "1.0.0"},
        "execution": {"id": "a;b", "initiator": "com.anchor.client", "domain": None},
    }
    with pytest.raises(InvalidSubjectError) as raised:
        ArvoOrchestrationSubject.create(broken)
    assert str(raised.value) == (
        "Error creating orchestration subject string: orchestrator.name: Value error, must be "
        "at least three dot-separated lowercase alphanumeric segments; execution.id: Value "
        "error, must not contain ';'"
    )
    with pytest.raises(InvalidSubjectError) as not_an_object:
        ArvoOrchestrationSubject.create(["not", "an", "object"])  # type: ignore[arg-type]
    assert str(not_an_object.value).startswith(
        "Error creating orchestration subject string: (root): Input should be"
    )


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("", "the subject is empty"),
        (None, "the subject is empty"),
        (42, "the subject is empty"),
        ("not base64!", "not standard base64"),
        (base64.b64encode(b"plain text").decode(), "not a zlib or gzip compressed payload"),
        (base64.b64encode(zlib.compress(b"\xff")).decode(), "the payload is not UTF-8 JSON"),
    ],
)
def test_parse_says_which_step_failed(subject, reason):
    with pytest.raises(InvalidSubjectError) as raised:
        ArvoOrchestrationSubject.parse(subject)
    assert str(raised.value) == f"Error parsing orchestration subject string: {reason}"
    assert ArvoOrchestrationSubject.is_valid(subject) is False


def test_base64_outside_the_alphabet_is_refused_not_skipped():
    subject = ArvoOrchestrationSubject.create(CONTENT)
    assert ArvoOrchestrationSubject.is_valid(subject)
    # A lenient decoder would drop the stray characters and decode the same content.
    tampered = subject[:4] + "!" + subject[4:]
    with pytest.raises(InvalidSubjectError, match="not standard base64"):
        ArvoOrchestrationSubject.parse(tampered)


def test_a_child_subject_takes_its_execution_id_from_the_given_source():
    parent = ArvoOrchestrationSubject.create(CONTENT)
    child = ArvoOrchestrationSubject.from_parent(
        orchestrator="arvo.orc.child", version="2.0.0", subject=parent, source=DeterministicSource()
    )
    content = ArvoOrchestrationSubject.parse(child)
    assert content.execution.id == "00000000-0000-4000-8000-000000000001"
    assert content.execution.initiator == "arvo.orc.adder"
    assert content.meta == {"redirectto": "com.anchor.sink"}
