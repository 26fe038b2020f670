"""Declarative test suites for handlers, machines and resumables (Arvo's ``runArvoTestSuites``).

A suite names what is tested (one or more configs) and the cases to run against each; a case is
a list of steps; a step builds an input event — from scratch, from a contract, or from the
events the previous step emitted — sends it through a driver and checks the outcome: the
emitted events (a predicate, or partial matches, one per event) or the error raised.

Drivers are an interface (:class:`SuiteDriver`), so the same suite can run wherever events can
be executed. :class:`InProcessDriver` wraps anything with ``execute(event)`` — an
``ArvoEventHandler``, an ``ArvoOrchestrator``, an ``ArvoResumable``; on Temporal,
``arvo_temporal.temporal.TemporalDriver`` runs the same suites through
``ArvoTemporalClient.execute`` against machines and resumables on a worker.

pytest gets one test item per (config, case)::

    @pytest.mark.parametrize("case", suite_params([suite]))
    async def test_suite(case: SuiteCaseRun) -> None:
        await case.run()

Every check failure is an ``AssertionError`` that says which step failed and shows the events.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

from arvo_temporal.contracts import VersionedArvoContract
from arvo_temporal.errors import InvalidTestSuite
from arvo_temporal.events import ArvoEvent
from arvo_temporal.factories import ArvoEventFactory, ArvoOrchestratorEventFactory

__all__ = [
    "ArvoTestCase",
    "ArvoTestConfig",
    "ArvoTestStep",
    "ArvoTestSuite",
    "InProcessDriver",
    "SuiteCaseRun",
    "SuiteDriver",
    "accepts_input",
    "init_input",
    "matches",
    "reply_input",
    "suite_params",
    "suite_runs",
]

StepInput: TypeAlias = (
    ArvoEvent | Callable[[list[ArvoEvent] | None], ArvoEvent | Awaitable[ArvoEvent]]
)
EventsCheck: TypeAlias = (
    Callable[[list[ArvoEvent]], bool | Awaitable[bool | None] | None] | Sequence[Mapping[str, Any]]
)
ErrorCheck: TypeAlias = type[BaseException] | Callable[[BaseException], bool | Awaitable[bool]]


class SuiteDriver(Protocol):
    """Executes one event somewhere and returns every event it emitted, in order."""

    async def execute(self, event: ArvoEvent) -> list[ArvoEvent]:
        """Run ``event``; raise what the system under test raised."""
        ...


class _Executes(Protocol):
    async def execute(self, event: ArvoEvent) -> Any: ...


class InProcessDriver:
    """Runs events through an in-process handler, orchestrator or resumable (or a function
    ``async (event) -> result``), where ``result`` has ``all_events`` or ``events``."""

    def __init__(self, target: _Executes | Callable[[ArvoEvent], Awaitable[Any]]) -> None:
        self._execute = target.execute if hasattr(target, "execute") else target

    async def execute(self, event: ArvoEvent) -> list[ArvoEvent]:
        result = await self._execute(event)
        if isinstance(result, list):
            return result
        events = getattr(result, "all_events", None)
        return list(events if events is not None else result.events)


@dataclass(frozen=True)
class ArvoTestStep:
    """One step: an input and at most one of ``expected_events`` / ``expected_error``.

    Args:
        input: an event, or ``fn(previous_events) -> event`` (``None`` on the first step;
            may be async). :func:`init_input`, :func:`accepts_input` and :func:`reply_input`
            build such functions from contracts.
        expected_events: a predicate on the emitted events (returning False, or raising an
            ``AssertionError``, fails the step), or one partial match per emitted event (see
            :func:`matches`).
        expected_error: an exception class the step must raise, or a predicate on the error.
    """

    input: StepInput
    expected_events: EventsCheck | None = None
    expected_error: ErrorCheck | None = None

    def __post_init__(self) -> None:
        if self.expected_events is not None and self.expected_error is not None:
            raise InvalidTestSuite("a step expects either events or an error, not both")
        if not isinstance(self.input, ArvoEvent) and not callable(self.input):
            raise InvalidTestSuite(
                "a step's input must be an ArvoEvent or a function; "
                f"got {type(self.input).__name__}"
            )


@dataclass(frozen=True)
class ArvoTestCase:
    """Steps run in order, each given the previous step's events.

    ``repeat=(times, success_threshold_percent)`` runs the case several times and passes when
    at least that share of runs pass (for handlers that are not deterministic).
    """

    name: str
    steps: Sequence[ArvoTestStep]
    repeat: tuple[int, float] | None = None

    def __post_init__(self) -> None:
        if not self.steps:
            raise InvalidTestSuite(f"case {self.name!r}: a case needs at least one step")
        if self.repeat is not None and (self.repeat[0] < 1 or not 0 <= self.repeat[1] <= 100):
            raise InvalidTestSuite(
                f"case {self.name!r}: repeat needs times >= 1 and a threshold in 0..100"
            )


@dataclass(frozen=True)
class ArvoTestConfig:
    """What a suite tests: a driver factory (called once per case run, so each run may get
    fresh state), or, for convenience, a ``handler`` run in process."""

    name: str | None = None
    handler: Any = None
    driver: Callable[[], SuiteDriver] | None = None

    def __post_init__(self) -> None:
        if (self.handler is None) == (self.driver is None):
            raise InvalidTestSuite("a config takes exactly one of 'handler' and 'driver'")

    def make_driver(self) -> SuiteDriver:
        """A driver for one case run."""
        return self.driver() if self.driver is not None else InProcessDriver(self.handler)

    @property
    def title(self) -> str:
        """The display name (Arvo's default: ``Test<source>``)."""
        return self.name or f"Test<{getattr(self.handler, 'source', 'driver')}>"


@dataclass(frozen=True)
class ArvoTestSuite:
    """Configs (one or several implementations) and the cases each must pass."""

    config: ArvoTestConfig | Sequence[ArvoTestConfig]
    cases: Sequence[ArvoTestCase]

    @property
    def configs(self) -> list[ArvoTestConfig]:
        """The configs as a list."""
        return [self.config] if isinstance(self.config, ArvoTestConfig) else list(self.config)


# ---------------------------------------------------------------------------- expectations


def matches(expected: Any, actual: Any) -> bool:
    """Partial match: every key of an expected mapping must be in the actual one (an ArvoEvent
    is compared as its JSON) with a matching value; lists match element by element with equal
    lengths; anything else must be equal. A callable expected value is a predicate."""
    if isinstance(actual, ArvoEvent):
        actual = actual.to_json()
    if callable(expected):
        return bool(expected(actual))
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and matches(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(actual, (list, tuple))
            and len(expected) == len(actual)
            and all(matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return bool(expected == actual)


def _shown(events: Sequence[ArvoEvent]) -> str:
    return "\n".join(json.dumps(event.to_json(), indent=2, default=str) for event in events)


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _check_events(check: EventsCheck, events: list[ArvoEvent], where: str) -> None:
    if callable(check):
        try:
            verdict = await _maybe_await(check(events))
        except AssertionError as error:
            raise AssertionError(f"{where}: {error}\nActual events:\n{_shown(events)}") from None
        if verdict is False:
            raise AssertionError(
                f"{where}: the events check returned False\nActual events:\n{_shown(events)}"
            )
        return
    expected = list(check)
    if len(expected) != len(events) or not all(
        matches(e, a) for e, a in zip(expected, events, strict=True)
    ):
        raise AssertionError(
            f"{where}: expected {len(expected)} event(s) matching {expected!r}\n"
            f"Actual events:\n{_shown(events)}"
        )


async def _check_error(check: ErrorCheck, error: BaseException, where: str) -> None:
    if isinstance(check, type):
        if not isinstance(error, check):
            raise AssertionError(f"{where}: expected {check.__name__}, got {error!r}") from error
        return
    if not await _maybe_await(check(error)):
        raise AssertionError(f"{where}: the error did not pass the check: {error!r}") from error


async def _run_steps(driver: SuiteDriver, steps: Sequence[ArvoTestStep]) -> None:
    previous: list[ArvoEvent] | None = None
    for number, step in enumerate(steps, start=1):
        where = f"Step {number}"
        source = step.input
        event = source if isinstance(source, ArvoEvent) else await _maybe_await(source(previous))
        if step.expected_error is not None:
            try:
                await driver.execute(event)
            except Exception as error:
                await _check_error(step.expected_error, error, where)
                previous = []
                continue
            raise AssertionError(f"{where}: expected an error, but the step succeeded")
        events = await driver.execute(event)
        if step.expected_events is not None:
            await _check_events(step.expected_events, events, where)
        previous = events


# ---------------------------------------------------------------------------- running


@dataclass(frozen=True)
class SuiteCaseRun:
    """One (config, case) pair, runnable on its own: what one pytest item runs."""

    config: ArvoTestConfig
    case: ArvoTestCase
    id: str = field(default="")

    async def run(self) -> None:
        """Run the case (``repeat`` times when asked).

        Raises:
            AssertionError: naming the failed step, or the success rate under the threshold.
        """
        if self.case.repeat is None:
            await _run_steps(self.config.make_driver(), self.case.steps)
            return
        times, threshold = self.case.repeat
        failures: list[str] = []
        for iteration in range(times):
            try:
                await _run_steps(self.config.make_driver(), self.case.steps)
            except AssertionError as error:
                failures.append(f"  Iteration {iteration}: {error}")
        rate = 100 * (times - len(failures)) / times
        if rate < threshold:
            raise AssertionError(
                f"Success rate {rate:.2f}% is below threshold {threshold}%\n"
                + "\n".join(failures[:10])
            )


def suite_runs(suites: Sequence[ArvoTestSuite]) -> list[SuiteCaseRun]:
    """Every (config, case) of the suites, with ids ``<config title>::<case name>``."""
    return [
        SuiteCaseRun(config, case, f"{config.title}::{case.name}")
        for suite in suites
        for config in suite.configs
        for case in suite.cases
    ]


def suite_params(suites: Sequence[ArvoTestSuite]) -> list[Any]:
    """``pytest.param`` per (config, case), for ``pytest.mark.parametrize`` (imports pytest
    only when called, so the library does not depend on it)."""
    import pytest

    return [pytest.param(run, id=run.id) for run in suite_runs(suites)]


# ---------------------------------------------------------------------------- inputs


def _data(data: Mapping[str, Any] | Callable[..., Mapping[str, Any]], *args: Any) -> Any:
    return data(*args) if callable(data) else data


def init_input(
    contract: VersionedArvoContract,
    *,
    source: str,
    data: Mapping[str, Any] | Callable[[list[ArvoEvent] | None], Mapping[str, Any]],
    **options: Any,
) -> Callable[[list[ArvoEvent] | None], ArvoEvent]:
    """A step input: a new execution's init event of an orchestrator contract version
    (``data`` may be a function of the previous events); ``options`` go to the factory."""
    factory = ArvoOrchestratorEventFactory(contract)
    return lambda previous: factory.init(source=source, data=_data(data, previous), **options)


def accepts_input(
    contract: VersionedArvoContract,
    *,
    source: str,
    data: Mapping[str, Any] | Callable[[list[ArvoEvent] | None], Mapping[str, Any]],
    **options: Any,
) -> Callable[[list[ArvoEvent] | None], ArvoEvent]:
    """A step input: an event a service contract version accepts (for handler tests)."""
    factory = ArvoEventFactory(contract)
    return lambda previous: factory.accepts(source=source, data=_data(data, previous), **options)


def reply_input(
    contract: VersionedArvoContract,
    *,
    type: str | None = None,
    data: Mapping[str, Any] | Callable[[ArvoEvent], Mapping[str, Any]] | None = None,
    error: BaseException | None = None,
    pick: Callable[[list[ArvoEvent]], ArvoEvent] = lambda events: events[0],
) -> Callable[[list[ArvoEvent] | None], ArvoEvent]:
    """A step input: the service's answer to the event ``pick`` chooses among the previous
    step's events (the first by default) — same subject, addressed to its ``redirectto`` (or
    source), ``parentid`` naming it, as a real service's answer would be. The answer is an emit
    (``type`` and ``data``, which may be a function of the picked event) or, with ``error``, the
    contract's ``sys.<type>.error``.

    Raises:
        InvalidTestSuite: without ``type``/``data`` or ``error``, or on the first step.
    """
    if (error is None) == (type is None or data is None):
        raise InvalidTestSuite("reply_input takes either 'type' and 'data', or 'error'")
    factory = ArvoEventFactory(contract)

    def build(previous: list[ArvoEvent] | None) -> ArvoEvent:
        if not previous:
            raise InvalidTestSuite("reply_input needs events from the previous step to answer")
        request = pick(previous)
        routing: dict[str, Any] = {
            "source": contract.accepts_type,
            "subject": request.subject,
            "to": request.redirectto or request.source,
            "parentid": request.id,
        }
        if error is not None:
            return factory.system_error(error=error, **routing)
        assert type is not None
        assert data is not None
        return factory.emits(type=type, data=_data(data, request), **routing)

    return build
