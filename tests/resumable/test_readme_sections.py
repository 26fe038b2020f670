"""The README's "Resumable orchestrators" and "Testing with suites" blocks run: on top of the
quick start's contracts, the resumable adds through the calculator and the suite's cases pass
for both the machine and the resumable."""

from __future__ import annotations

import contextlib
import io

from arvo_temporal import SimpleEventBroker, SimpleMachineMemory, create_arvo_orchestrator
from arvo_temporal.testing import suite_runs
from tests.test_readme import BLOCKS


def _block(heading: str) -> str:
    (block,) = [b for b in BLOCKS if heading in b]
    return block


def _namespace() -> dict[str, object]:
    namespace: dict[str, object] = {
        "__name__": "readme"
    }  # not __main__: the quick start stays idle
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(BLOCKS[0], "README quick start", "exec"), namespace)
        exec(compile(_block("create_arvo_resumable("), "README resumable", "exec"), namespace)
    return namespace


async def test_the_resumable_block_adds_through_the_calculator():
    namespace = _namespace()
    broker = SimpleEventBroker([namespace["resumable"], namespace["add"]])  # type: ignore[list-item]
    init = namespace["ArvoOrchestratorEventFactory"](namespace["adder"].version("1.0.0")).init(  # type: ignore[operator,attr-defined]
        source="com.demo.client", data={"parentSubject$$": None, "a": 2, "b": 3}
    )
    (done,) = await broker.send(init)
    assert (done.type, done.data) == ("arvo.orc.adder.done", {"sum": 5.0})


async def test_the_suite_block_passes_for_the_machine_and_the_resumable():
    namespace = _namespace()
    namespace["orchestrator"] = create_arvo_orchestrator(
        memory=SimpleMachineMemory(),
        machines=[namespace["machine"]],  # type: ignore[list-item]
    )
    exec(compile(_block("suite_params([suite])"), "README suites", "exec"), namespace)
    cases = suite_runs([namespace["suite"]])  # type: ignore[list-item]
    assert [case.id for case in cases] == [
        "machine::adds",
        "Test<arvo.orc.adder>::adds",
    ]
    for case in cases:
        await case.run()
