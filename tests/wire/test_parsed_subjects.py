"""The remembered subject parse gives exactly ``ArvoOrchestrationSubject.parse``'s answers."""

from __future__ import annotations

from hashlib import sha256

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arvo_temporal import ArvoOrchestrationSubject, InvalidSubjectError
from arvo_temporal._parsed_subjects import _LONGEST_CACHED, parsed_subject

SUBJECT = ArvoOrchestrationSubject.new(
    orchestrator="arvo.orc.test", version="1.0.0", initiator="com.test.client"
)


def test_a_repeated_subject_is_parsed_once_and_equals_parse() -> None:
    first = parsed_subject(SUBJECT)
    assert first == ArvoOrchestrationSubject.parse(SUBJECT)
    assert parsed_subject(SUBJECT) is first


def test_long_subjects_are_parsed_every_time() -> None:
    subject = ArvoOrchestrationSubject.new(
        orchestrator="arvo.orc.test",
        version="1.0.0",
        initiator="com.test.client",
        # Hex digests do not compress, so the subject stays long.
        meta={"note": "".join(sha256(bytes([i])).hexdigest() for i in range(100))},
    )
    assert len(subject) > _LONGEST_CACHED
    first = parsed_subject(subject)
    assert first == ArvoOrchestrationSubject.parse(subject)
    assert parsed_subject(subject) is not first


@settings(max_examples=1000)
@given(st.one_of(st.text(max_size=60), st.sampled_from([SUBJECT, SUBJECT[:-4], SUBJECT + "A"])))
def test_any_text_parses_or_fails_as_parse_does(text: str) -> None:
    try:
        expected = ArvoOrchestrationSubject.parse(text)
    except InvalidSubjectError as error:
        for _ in range(2):  # a failure is never remembered as a success
            with pytest.raises(InvalidSubjectError) as raised:
                parsed_subject(text)
            assert str(raised.value) == str(error)
        return
    assert parsed_subject(text) == expected
