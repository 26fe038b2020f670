"""Orchestration subjects parsed once per process, not once per use.

One execution parses the same subject several times: the orchestrator's subject check on each
event it consumes, and every domain token that looks at a subject, in the orchestrator and in the
handlers it calls. A parse (base64, inflate, JSON, pydantic) cost about 10 µs, four times per
calculator execution (BENCHMARKS.md, in-process orchestrator). Parsing is a pure function of the
text, so a bounded cache gives the same answers; only successful parses are kept, and only of
subjects of ordinary length, so hostile input can neither fill memory nor change an error.

The cached ``SubjectContent`` is shared: it is a frozen model, and its ``meta`` dict must be read,
never changed (nothing in the library changes it).
"""

from __future__ import annotations

from functools import lru_cache

from arvo_temporal.subject import ArvoOrchestrationSubject, SubjectContent

__all__ = ["parsed_subject"]

# Real subjects are a few hundred characters (a uuid, two names, a version, a little meta).
_LONGEST_CACHED = 2048


@lru_cache(maxsize=1024)
def _parse_remembered(subject: str) -> SubjectContent:
    return ArvoOrchestrationSubject.parse(subject)


def parsed_subject(subject: str) -> SubjectContent:
    """``ArvoOrchestrationSubject.parse(subject)``, remembered for recent subjects.

    Raises:
        InvalidSubjectError: as ``parse`` does (failures are not remembered).
    """
    if type(subject) is not str or len(subject) > _LONGEST_CACHED:
        return ArvoOrchestrationSubject.parse(subject)
    return _parse_remembered(subject)
