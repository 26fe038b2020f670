"""The curated public API: importable, sorted, complete; and the pure core stays pure."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

import arvo_temporal

# The names the README promises from the top-level package.
DESIGN_NAMES = [
    "ArvoEvent",
    "ArvoOrchestrationSubject",
    "ArvoOrchestrator",
    "MachineExecutionEngine",
    "MachineRegistry",
    "OrchestratorResult",
    "SimpleEventBroker",
    "SimpleMachineMemory",
    "create_arvo_contract",
    "create_arvo_event",
    "create_arvo_event_handler",
    "create_arvo_orchestrator",
    "create_arvo_orchestrator_contract",
    "setup_arvo_machine",
]


def _isort_key(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions.
    if name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


CURATED = [
    "arvo_temporal",
    "arvo_temporal.temporal",
    "arvo_temporal.cli",
    "arvo_temporal.statechart",
    "arvo_temporal.ingress",
]


@pytest.mark.parametrize("name", CURATED)
def test_all_is_sorted_and_importable(name):
    package = importlib.import_module(name)
    assert package.__all__ == sorted(package.__all__, key=_isort_key)
    assert len(set(package.__all__)) == len(package.__all__)
    for exported in package.__all__:
        assert hasattr(package, exported), f"{exported} is in __all__ but not importable"


@pytest.mark.parametrize("name", CURATED)
def test_all_is_complete(name):
    package = importlib.import_module(name)
    public = {
        exported
        for exported, value in vars(package).items()
        if not exported.startswith("_")
        and not isinstance(value, types.ModuleType)
        and exported not in ("annotations", "NoReturn")
    }
    assert public == set(package.__all__)


@pytest.mark.parametrize("name", ["arvo_temporal.temporal", "arvo_temporal.ingress"])
def test_the_adapters_modules_are_private(name):
    import pkgutil

    package = importlib.import_module(name)
    names = [module.name for module in pkgutil.iter_modules(package.__path__)]
    assert names and all(name.startswith("_") for name in names), names


def test_design_names_are_exported():
    missing = [name for name in DESIGN_NAMES if name not in arvo_temporal.__all__]
    assert not missing


def core_modules() -> list[str]:
    """Every module outside ``arvo_temporal.temporal`` and ``arvo_temporal.cli``."""
    import pkgutil

    names = ["arvo_temporal"]
    for module in pkgutil.walk_packages(arvo_temporal.__path__, "arvo_temporal."):
        if module.name.startswith(("arvo_temporal.temporal", "arvo_temporal.cli")):
            continue
        names.append(module.name)
    return names


def test_only_the_temporal_package_imports_temporalio():
    modules = core_modules()
    assert "arvo_temporal.statechart" in modules and "arvo_temporal.orchestration.step" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'temporalio' or m.startswith('temporalio.'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
