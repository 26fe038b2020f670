"""Workflow identity: one workflow per Arvo subject, its id derived from the subject alone.

Any ingress (client, CLI, another workflow's activity) computes the id without a lookup. It reads
well in the Temporal UI (``arvo.orc.adder/<execution id>/…``), stays within the 255 characters
that SQL-backed clusters allow, and ends with a hash of the *whole* subject, so two subjects
that share an execution id but differ in meta still get different workflows; the workflow also
refuses events whose full subject differs from its own.
"""

from __future__ import annotations

import hashlib
import re

from arvo_temporal.subject import ArvoOrchestrationSubject, SubjectContent

__all__ = ["MAX_WORKFLOW_ID_LENGTH", "workflow_id_for"]

MAX_WORKFLOW_ID_LENGTH = 255
_UNSAFE = re.compile(r"[^A-Za-z0-9._:@+=-]")


def _readable(text: str, limit: int) -> str:
    return _UNSAFE.sub("_", text)[:limit]


def workflow_id_for(subject: str, content: SubjectContent | None = None) -> str:
    """``<orchestrator>/<execution id>/<hash>`` for an orchestration subject.

    Raises:
        InvalidSubjectError: when ``subject`` is not an orchestration subject.
    """
    parsed = content or ArvoOrchestrationSubject.parse(subject)
    digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:16]
    name = _readable(parsed.orchestrator.name, 96)
    execution = _readable(parsed.execution.id, 96)
    return f"{name}/{execution}/{digest}"
