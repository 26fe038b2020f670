"""AppBinding: what one workflow run needs of the app its worker serves.

``ArvoPlugin``'s workflow interceptor hands it to each run when the run starts. The run asks it
for its orchestrator once; with ``sandboxed_machines`` the machines are built again at that
moment, inside the run's sandbox (``arvo_temporal.temporal._sandbox``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from arvo_temporal.errors import ConfigViolation
from arvo_temporal.orchestration.resumable_step import ResumableSettings
from arvo_temporal.orchestration.step import OrchestratorSettings
from arvo_temporal.temporal._app import AnySpec, ArvoApp, ResumableSpec
from arvo_temporal.temporal._sandbox import rebuild_machine, rebuild_resumable

__all__ = ["AppBinding"]


@dataclass(frozen=True)
class AppBinding:
    """The app of a worker, as one workflow run sees it.

    Attributes:
        app: the orchestrators, handlers and sinks the worker serves.
        sandboxed_machines: build the machines again inside the run's sandbox.
    """

    app: ArvoApp
    sandboxed_machines: bool = True

    def orchestrator(
        self, source: str
    ) -> tuple[AnySpec, OrchestratorSettings | ResumableSettings]:
        """The spec and the pure core's settings for ``source``.

        Raises:
            ConfigViolation: the app has no such orchestrator, or its machines cannot be built
                inside the sandbox.
        """
        spec = self.app.orchestrators.get(source)
        if spec is None:
            raise ConfigViolation(
                f"No orchestrator {source} is served by this worker "
                f"(it serves: {sorted(self.app.orchestrators)})"
            )
        if not self.sandboxed_machines:
            return spec, self.app.settings_for(source)
        try:
            if isinstance(spec, ResumableSpec):
                rebuilt = dataclasses.replace(spec, resumable=rebuild_resumable(spec.resumable))
                return rebuilt, rebuilt.settings()
            machines = tuple(rebuild_machine(machine) for machine in spec.machines)
        except ConfigViolation:
            raise
        except Exception as error:
            # An import that breaks the sandbox's rules, or a factory that raises: the run
            # fails visibly with the cause instead of retrying its first task forever.
            raise ConfigViolation(
                f"the machines of {source} cannot be built inside the workflow sandbox: "
                f"{type(error).__name__}: {error}"
            ) from error
        assert not isinstance(spec, ResumableSpec)
        return spec, dataclasses.replace(spec, machines=machines).settings()
