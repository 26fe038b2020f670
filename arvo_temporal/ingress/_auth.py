"""Optional bearer-token authentication (RFC 6750).

Tokens are compared with ``hmac.compare_digest`` against *every* configured token, so neither
the answer time nor an early exit tells a guesser how much of a token it got right or which
token it was near. Without tokens the ingress is open (fine on loopback or behind a gateway).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence

from arvo_temporal.ingress._problems import Problem, ProblemError

__all__ = ["check_bearer"]

_CHALLENGE = 'Bearer realm="arvo-temporal ingress"'


def _refused(detail: str, *, error: str | None) -> ProblemError:
    challenge = f'{_CHALLENGE}, error="{error}"' if error else _CHALLENGE
    return ProblemError(
        Problem(
            401,
            "unauthorized",
            "A valid bearer token is required",
            detail,
            "authorization",
            headers={"WWW-Authenticate": challenge},
        )
    )


def check_bearer(headers: Mapping[str, str], tokens: Sequence[bytes]) -> None:
    """Pass when no tokens are configured or the request carries one of them.

    Raises:
        ProblemError: 401 with ``WWW-Authenticate: Bearer`` otherwise.
    """
    if not tokens:
        return
    header = headers.get("authorization")
    if header is None:
        raise _refused("send Authorization: Bearer <token>", error=None)
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise _refused("the Authorization header must be 'Bearer <token>'", error="invalid_request")
    offered = credentials.strip().encode("utf-8", "surrogateescape")
    matched = False
    for token in tokens:
        # Every token is compared, whatever matched before: no early exit to time.
        matched |= hmac.compare_digest(offered, token)
    if not matched:
        raise _refused("the bearer token is not one this ingress accepts", error="invalid_token")
