"""subjects.json replayed: byte-exact encoding, parsing, validation, new/from derivation."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from arvo_temporal import ArvoOrchestrationSubject, InvalidSubjectError
from arvo_temporal.sources import DeterministicSource
from tests.conftest import load_vector
from tests.vector_match import Matcher

VECTORS = load_vector("arvo-ts-v3/subjects.json")


@pytest.mark.parametrize("case", VECTORS["deterministic"], ids=lambda c: c["label"])
def test_deterministic_subject_is_byte_identical(case):
    text = json.dumps(case["content"], separators=(",", ":"), ensure_ascii=False)
    assert text == case["json_text_compressed"]
    subject = ArvoOrchestrationSubject.create(case["content"])
    assert subject == case["subject"]
    assert base64.b64decode(subject)[:2].hex() == case["zlib_header_hex"]
    assert ArvoOrchestrationSubject.parse(subject).model_dump(mode="json") == case["parsed"]
    assert ArvoOrchestrationSubject.is_valid(subject) is case["isValid"]


def test_key_order_changes_bytes_not_content():
    case = VECTORS["key_order"]
    first = VECTORS["deterministic"][0]
    assert (case["subject"] == first["subject"]) is case["same_bytes_as_first"]
    reordered = ArvoOrchestrationSubject.parse(case["subject"]).model_dump(mode="json")
    assert (reordered == first["parsed"]) is case["parsed_equal"]
    # create() keeps the caller's key order, so the reordered content reproduces its bytes.
    raw = json.loads(zlib.decompress(base64.b64decode(case["subject"])))
    assert ArvoOrchestrationSubject.create(raw) == case["subject"]


@pytest.mark.parametrize("case", VECTORS["isValid_cases"], ids=lambda c: c["label"])
def test_is_valid_cases(case):
    assert ArvoOrchestrationSubject.is_valid(case["subject"]) is case["isValid"]
    if not case["isValid"]:
        with pytest.raises(InvalidSubjectError, match="Error parsing orchestration subject"):
            ArvoOrchestrationSubject.parse(case["subject"])


@pytest.mark.parametrize("case", VECTORS["create_validation"], ids=lambda c: c["label"])
def test_create_rejects_invalid_content(case):
    assert case["throws"] is True
    with pytest.raises(InvalidSubjectError, match="Error creating orchestration subject"):
        ArvoOrchestrationSubject.create(case["content"])


def test_random_new_and_from_derivations_match_the_recorded_chain():
    samples = VECTORS["random"]["samples"]
    matcher = Matcher(subjects=VECTORS["random"]["subjects"])
    source = DeterministicSource()
    first = ArvoOrchestrationSubject.new(
        orchestrator="arvo.orc.parent",
        version="1.0.0",
        initiator="com.anchor.client",
        meta={"tenant": "acme"},
        source=source,
    )
    second = ArvoOrchestrationSubject.from_parent(
        orchestrator="arvo.orc.adder",
        version="1.0.0",
        subject=first,
        meta={"redirectto": "arvo.orc.parent"},
        source=source,
    )
    third = ArvoOrchestrationSubject.from_parent(
        orchestrator="arvo.orc.adder", version=None, subject=first, source=source
    )
    fourth = ArvoOrchestrationSubject.new(
        orchestrator="arvo.orc.parent",
        version="1.0.0",
        initiator="com.anchor.client",
        domain="orchestrators",
        source=source,
    )
    fifth = ArvoOrchestrationSubject.from_parent(
        orchestrator="arvo.orc.adder", version="1.0.0", subject=fourth, source=source
    )
    sixth = ArvoOrchestrationSubject.from_parent(
        orchestrator="arvo.orc.adder",
        version="1.0.0",
        subject=fourth,
        domain="other",
        source=source,
    )
    produced = [first, second, third, fourth, fifth, sixth]
    assert len(produced) == len(samples)
    for sample, subject in zip(samples, produced, strict=True):
        matcher.match(sample["subject"], subject)
        matcher.match(
            sample["decoded"], ArvoOrchestrationSubject.parse(subject).model_dump(mode="json")
        )


def test_parse_errors_say_which_step_failed():
    with pytest.raises(InvalidSubjectError, match="not standard base64"):
        ArvoOrchestrationSubject.parse("not a subject!")
    with pytest.raises(InvalidSubjectError, match="not a zlib or gzip"):
        ArvoOrchestrationSubject.parse(base64.b64encode(b"plain").decode())
    with pytest.raises(InvalidSubjectError, match="not UTF-8 JSON"):
        ArvoOrchestrationSubject.parse(base64.b64encode(zlib.compress(b"{oops")).decode())
    with pytest.raises(InvalidSubjectError, match="execution"):
        ArvoOrchestrationSubject.parse(base64.b64encode(zlib.compress(b"{}")).decode())
