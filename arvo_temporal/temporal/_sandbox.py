"""Machines held to the workflow sandbox.

A machine's actions, guards, delays, context and output functions run inside the workflow, so
they must be deterministic. The SDK enforces that for workflow code by importing it *inside* the
sandbox, where ``datetime.now()``, ``random``, ``uuid4()``, ``open()`` and sockets raise
``RestrictedWorkflowAccessError``. Machines built by the worker process live outside it, so each
run builds its machines again inside the sandbox: it imports the module that built the machine
(``ArvoMachine.origin``) through the sandbox's importer and calls the same module-level factory
(or finds the machine among that module's globals). The functions the machine holds then see
the sandbox's restricted modules, exactly as workflow code does.

The cost is one import of the machine's module per workflow run (see BENCHMARKS.md). Users who
trust their machine modules can pass them through instead (``ArvoPlugin(app,
sandboxed_machines=False)``): faster, and unguarded.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from typing import Any

from temporalio import workflow

from arvo_temporal.errors import ConfigViolation
from arvo_temporal.machine import ArvoMachine, MachineOrigin
from arvo_temporal.resumable import ArvoResumable
from arvo_temporal.temporal._app import ArvoApp, OrchestratorSpec

__all__ = ["check_rebuildable", "contract_modules", "rebuild_machine", "rebuild_resumable"]


def _label(machine: ArvoMachine) -> str:
    return f"{machine.source}@{machine.version}"


def _resolve(module: Any, qualname: str) -> Any:
    value = module
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def check_rebuildable(machine: ArvoMachine) -> MachineOrigin:
    """The machine's origin, if the sandbox can build the machine again from it.

    Raises:
        ConfigViolation: it was built in ``__main__``, in a nested function or lambda, or by a
            function that needs arguments; the message says how to fix it.
    """
    origin = machine.origin
    hint = (
        "build machines at module level or in a module-level function whose arguments are "
        "plain data, in an importable module (not __main__), or serve them unguarded with "
        "ArvoPlugin(app, sandboxed_machines=False)"
    )
    if origin is None or not origin.rebuildable:
        where = origin.describe() if origin else "an unknown place"
        raise ConfigViolation(
            f"machine {_label(machine)} was built in {where}, which the workflow sandbox "
            f"cannot call again; {hint}"
        )
    return origin


def contract_modules(machines: Iterable[ArvoMachine]) -> set[str]:
    """The modules that define the machines' contract models, to pass through the sandbox.

    Contracts are data (pydantic models and their JSON Schema), and building them again per run
    would cost most of the rebuild. A module that also builds one of the machines is left out:
    its functions must be imported inside the sandbox.
    """
    machines = list(machines)
    builders = {machine.origin.module for machine in machines if machine.origin is not None}
    found: set[str] = set()
    for machine in machines:
        for contract in (machine.self_contract, *machine.service_contracts.values()):
            for model in (contract.accepts_schema, *contract.emits.values()):
                found.add(model.__module__)
    return {
        name
        for name in found - builders
        if name != "__main__" and not name.startswith("arvo_temporal")
    }


def _machines_in(values: Iterable[Any], depth: int = 0) -> Iterator[ArvoMachine]:
    for value in values:
        if isinstance(value, ArvoMachine):
            yield value
        elif depth < 2 and isinstance(value, (list, tuple)):
            yield from _machines_in(value, depth + 1)
        elif depth < 2 and isinstance(value, dict):
            yield from _machines_in(value.values(), depth + 1)
        elif depth < 2 and isinstance(value, OrchestratorSpec):
            yield from _machines_in(value.machines, depth + 1)
        elif depth < 2 and isinstance(value, ArvoApp):
            yield from _machines_in(value.orchestrators.values(), depth + 1)


def _import_in_run(name: str) -> Any:
    """Import ``name`` in the current context; inside a workflow, through the run's sandbox.

    The import happens after the workflow's initial load on purpose, so the SDK's notice about
    such imports is silenced for it (restrictions still apply).
    """
    if not workflow.in_workflow():
        return importlib.import_module(name)
    with workflow.unsafe.sandbox_import_notification_policy(
        workflow.SandboxImportNotificationPolicy.SILENT
    ):
        return importlib.import_module(name)


def rebuild_machine(machine: ArvoMachine) -> ArvoMachine:
    """The same machine, built again by code imported in the current (sandboxed) context.

    Raises:
        ConfigViolation: the origin no longer produces a machine with this source and version.
    """
    origin = machine.origin
    if origin is None:
        raise ConfigViolation(f"machine {_label(machine)} has no origin to build it from")
    module = _import_in_run(origin.module)
    if origin.factory is not None:
        built = _resolve(module, origin.factory)(**dict(origin.arguments or ()))
        candidates = list(_machines_in([built]))
    else:
        candidates = list(_machines_in(vars(module).values()))
    for candidate in candidates:
        if candidate.source == machine.source and candidate.version == machine.version:
            return candidate
    raise ConfigViolation(
        f"{origin.describe()} no longer builds machine {_label(machine)} inside the workflow "
        "sandbox"
    )


def rebuild_resumable(resumable: ArvoResumable) -> ArvoResumable:
    """The same resumable, built again by code imported in the current (sandboxed) context, so
    its handler functions run under the sandbox's restrictions like machine code.

    Raises:
        ConfigViolation: it has no rebuildable origin, or the origin no longer builds it.
    """
    origin = resumable.origin
    if origin is None or not origin.rebuildable:
        where = origin.describe() if origin else "an unknown place"
        raise ConfigViolation(
            f"resumable {resumable.source} was built in {where}, which the workflow sandbox "
            "cannot call again; build it at module level or in a module-level function whose "
            "arguments are plain data, in an importable module (not __main__), or serve it "
            "unguarded with ArvoPlugin(app, sandboxed_machines=False)"
        )
    module = _import_in_run(origin.module)
    if origin.factory is not None:
        candidates = [_resolve(module, origin.factory)(**dict(origin.arguments or ()))]
    else:
        candidates = list(vars(module).values())
    for candidate in candidates:
        if isinstance(candidate, ArvoResumable) and candidate.source == resumable.source:
            return candidate
    raise ConfigViolation(
        f"{origin.describe()} no longer builds resumable {resumable.source} inside the "
        "workflow sandbox"
    )
