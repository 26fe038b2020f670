"""setup_arvo_machine / ArvoMachine: declaration-time checks, validate_input, registry, engine."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from arvo_temporal import (
    ArvoEventFactory,
    ArvoOrchestratorEventFactory,
    ConfigViolation,
    ContractViolation,
    InvalidMachineDefinition,
    MachineRegistry,
    StatechartExecutionEngine,
    create_arvo_contract,
    create_arvo_orchestrator_contract,
    enqueue_arvo_event,
    setup_arvo_machine,
)
from arvo_temporal.machine import MachineOrigin
from arvo_temporal.statechart import emit
from arvo_temporal.validation import ValidationKind
from tests.fixtures import anchors
from tests.fixtures.machines import build_adder, build_faulty


class Empty(BaseModel):
    pass


ADDER = anchors.adder.version("1.0.0")
CALC = anchors.calculator.version("1.0.0")
SIMPLE_CONFIG = {"initial": "a", "states": {"a": {"on": {"go": "b"}}, "b": {"type": "final"}}}


def _setup(**kwargs):
    return setup_arvo_machine(contracts={"self": ADDER, "services": {"add": CALC}}, **kwargs)


def test_version_must_be_the_self_contracts():
    with pytest.raises(ConfigViolation, match="self contract's version"):
        _setup().create_machine(id="m", version="2.0.0", config=SIMPLE_CONFIG)
    assert _setup().create_machine(id="m", config=SIMPLE_CONFIG).version == "1.0.0"


def test_setup_refuses_what_arvo_refuses():
    with pytest.raises(ConfigViolation, match="distinct uris"):
        setup_arvo_machine(contracts={"self": ADDER, "services": {"a": CALC, "b": CALC}})
    with pytest.raises(ConfigViolation, match="self contract cannot"):
        setup_arvo_machine(contracts={"self": ADDER, "services": {"a": ADDER}})
    with pytest.raises(ConfigViolation, match="reserved action"):
        _setup(actions={"enqueueArvoEvent": lambda args, params: None})
    with pytest.raises(ConfigViolation, match="orchestrator contract"):
        setup_arvo_machine(contracts={"self": CALC, "services": {}})
    with pytest.raises(ConfigViolation, match="delays"):
        _setup(delays={"soon": 10}, arvo_compatible=True)


def test_arvo_compatible_refuses_after():
    config = {
        "initial": "a",
        "states": {"a": {"after": {"100": "b"}}, "b": {"type": "final"}},
    }
    with pytest.raises(ConfigViolation, match="after"):
        _setup(arvo_compatible=True).create_machine(id="m", config=config)
    # Beyond Arvo, delayed transitions are allowed: they become durable timers on Temporal.
    assert _setup().create_machine(id="m", config=config).id == "m"


def test_statically_emitted_types_must_belong_to_a_service():
    config = {
        "initial": "a",
        "states": {"a": {"entry": emit({"type": "com.unknown.thing", "data": {}})}},
    }
    with pytest.raises(InvalidMachineDefinition, match=r"com\.unknown\.thing"):
        _setup().create_machine(id="m", config=config)


def test_statechart_errors_name_the_path():
    config = {"initial": "a", "states": {"a": {"on": {"go": "nowhere"}}}}
    with pytest.raises(InvalidMachineDefinition) as raised:
        _setup().create_machine(id="m", config=config)
    assert "states.a.on" in str(raised.value)
    with pytest.raises(InvalidMachineDefinition, match="unknownAction"):
        _setup().create_machine(
            id="m", config={"initial": "a", "states": {"a": {"entry": "unknownAction"}}}
        )


def test_requires_resource_locking():
    assert build_adder().requires_resource_locking is False
    parallel = {"type": "parallel", "states": {"x": {}, "y": {}}}
    assert _setup().create_machine(id="p", config=parallel).requires_resource_locking is True
    multi = anchors.multi.version("1.2.0")
    setup = setup_arvo_machine(contracts={"self": ADDER, "services": {"multi": multi}})
    assert setup.create_machine(id="m", config=SIMPLE_CONFIG).requires_resource_locking is True


def _init(**overrides):
    event = ArvoOrchestratorEventFactory(ADDER).init(
        source=anchors.CLIENT, data={"parentSubject$$": None, "a": 1, "b": 2}
    )
    return event.model_copy(update=overrides)


def test_validate_input_kinds():
    machine = build_adder()
    assert machine.validate_input(_init()).kind is ValidationKind.VALID
    unparseable = machine.validate_input(_init(dataschema=None))
    assert unparseable.kind is ValidationKind.INVALID
    assert "Unable to parse dataschema='null'" in unparseable.reason
    wrong_version = machine.validate_input(_init(dataschema="#/anchors/orchestrator/adder/2.0.0"))
    assert wrong_version.kind is ValidationKind.INVALID
    assert "version mismatch" in wrong_version.reason
    wrong_uri = machine.validate_input(_init(dataschema="#/elsewhere/1.0.0"))
    assert wrong_uri.kind is ValidationKind.INVALID and "URI mismatch" in wrong_uri.reason
    bad_data = machine.validate_input(_init(data={"parentSubject$$": None, "a": "x", "b": 2}))
    assert bad_data.kind is ValidationKind.INVALID_DATA
    with pytest.raises(ContractViolation, match="Input validation failed"):
        bad_data.raise_for_violation()
    unknown = machine.validate_input(_init(type="evt.other.thing.done"))
    assert unknown.kind is ValidationKind.CONTRACT_UNRESOLVED
    with pytest.raises(ConfigViolation, match="does not match any registered contract"):
        unknown.raise_for_violation()


def test_system_errors_are_accepted_with_the_wildcard_version():
    machine = build_adder()
    error = ArvoEventFactory(CALC).system_error(
        error=RuntimeError("boom"), source="com.calculator.add", subject=_init().subject
    )
    assert error.dataschema.endswith("/0.0.0")
    assert machine.validate_input(error).kind is ValidationKind.VALID


def test_registry_resolves_by_exact_version():
    registry = MachineRegistry(build_adder())
    assert registry.resolve(_init()) is registry.machines[0]
    with pytest.raises(ConfigViolation, match="at least one"):
        MachineRegistry()
    with pytest.raises(ConfigViolation, match="share a source"):
        MachineRegistry(build_adder(), build_faulty())
    with pytest.raises(ConfigViolation, match="Duplicate machine versions"):
        MachineRegistry(build_adder(), build_adder())


def test_engine_emits_before_enqueued_and_drains_the_queue():
    contract = create_arvo_orchestrator_contract(
        uri="#/t/q", name="queue.test", versions={"1.0.0": {"init": Empty, "complete": Empty}}
    )
    service = create_arvo_contract(
        uri="#/t/s", type="com.t.s", versions={"1.0.0": {"accepts": Empty, "emits": {}}}
    )
    setup = setup_arvo_machine(
        contracts={"self": contract.version("1.0.0"), "services": {"s": service.version("1.0.0")}}
    )
    machine = setup.create_machine(
        id="q",
        config={
            "initial": "a",
            "states": {
                "a": {
                    "entry": [
                        enqueue_arvo_event({"type": "com.other.thing", "data": {"n": 1}}),
                        emit({"type": "com.t.s", "data": {}}),
                        enqueue_arvo_event(
                            lambda args, params: {"type": "com.other.two", "data": {}}
                        ),
                    ]
                }
            },
        },
    )
    init = ArvoOrchestratorEventFactory(contract.version("1.0.0")).init(
        source="com.t.client", data={"parentSubject$$": None}
    )
    result = StatechartExecutionEngine().execute(machine=machine, state=None, event=init)
    assert [raw["type"] for raw in result.events] == ["com.t.s", "com.other.thing", "com.other.two"]
    assert result.state["context"]["arvo$$"] == {}
    assert result.final_output is None


def test_engine_refuses_a_non_init_first_event():
    machine = build_adder()
    reply = _init(type="evt.calculator.add.success")
    with pytest.raises(ValueError, match="Invalid initialization event"):
        StatechartExecutionEngine().execute(machine=machine, state=None, event=reply)


def test_setup_errors_say_exactly_what_is_wrong():
    cases = [
        (
            {"self": CALC, "services": {}},
            "contracts['self'] must be a version of an orchestrator contract",
        ),
        (
            {"self": ADDER, "services": [CALC]},
            "contracts['services'] must map keys to versioned contracts",
        ),
        (
            {"self": ADDER, "services": {"a": "calc"}},
            "contracts['services'] must map keys to versioned contracts",
        ),
        (
            {"self": ADDER, "services": {"a": ADDER}},
            "The self contract cannot also be listed as a service contract",
        ),
    ]
    for contracts, message in cases:
        with pytest.raises(ConfigViolation) as raised:
            setup_arvo_machine(contracts=contracts)
        assert str(raised.value) == f"ViolationError<Config> {message}"
    with pytest.raises(ConfigViolation) as delays:
        _setup(delays={"soon": 10}, arvo_compatible=True)
    assert str(delays.value) == (
        "ViolationError<Config> Arvo machines cannot declare delays (arvo_compatible)"
    )


def test_arvo_compatible_names_the_nested_state_and_accepts_plain_machines():
    nested = {
        "initial": "a",
        "states": {
            "a": {"initial": "b", "states": {"b": {"after": {"100": "c"}}, "c": {}}},
            "d": {"type": "final"},
        },
    }
    with pytest.raises(ConfigViolation) as raised:
        _setup(arvo_compatible=True).create_machine(id="m", config=nested)
    assert str(raised.value) == (
        "ViolationError<Config> states.a.states.b: ['after'] cannot be used in an Arvo machine "
        "(arvo_compatible)"
    )
    top = {"initial": "a", "states": {"a": {"after": {"100": "b"}}, "b": {}}}
    with pytest.raises(ConfigViolation, match=r"^ViolationError<Config> states\.a: \['after'\]"):
        _setup(arvo_compatible=True).create_machine(id="m", config=top)
    plain = {"initial": "a", "states": {"a": {"initial": "b", "states": {"b": {}}}}}
    machine = _setup(arvo_compatible=True).create_machine(id="m", config=plain)
    assert machine.config == {**plain, "id": "m"}


def test_an_emit_inside_a_list_of_actions_is_checked_too():
    config = {
        "initial": "a",
        "states": {"a": {"entry": ["noop", emit({"type": "com.unknown.thing", "data": {}})]}},
    }
    with pytest.raises(InvalidMachineDefinition) as raised:
        _setup(actions={"noop": lambda args, params: None}).create_machine(id="m", config=config)
    assert raised.value.path == "machine m"
    assert "emits 'com.unknown.thing', which no service contract accepts" in str(raised.value)


def test_enqueued_events_see_the_action_arguments_and_keep_the_rest_of_arvo_state():
    contract = create_arvo_orchestrator_contract(
        uri="#/t/q", name="queue.test", versions={"1.0.0": {"init": Empty, "complete": Empty}}
    )
    seen: dict = {}

    def look(args, params):
        seen.update(args.context["arvo$$"])

    setup = setup_arvo_machine(
        contracts={"self": contract.version("1.0.0"), "services": {}},
        actions={
            "queue": enqueue_arvo_event(
                lambda args, params: {
                    "type": "com.other.thing",
                    "data": {"n": args.context["n"], "p": params["p"]},
                }
            ),
            "look": look,
        },
    )
    machine = setup.create_machine(
        id="q",
        context=lambda init: {"n": 7, "arvo$$": {"keep": 1, "volatile$$": {"other": 2}}},
        config={
            "initial": "a",
            "states": {"a": {"entry": [{"type": "queue", "params": {"p": 3}}, "look"]}},
        },
    )
    init = ArvoOrchestratorEventFactory(contract.version("1.0.0")).init(
        source="com.t.client", data={"parentSubject$$": None}
    )
    result = StatechartExecutionEngine().execute(machine=machine, state=None, event=init)
    assert result.events == [{"type": "com.other.thing", "data": {"n": 7, "p": 3}}]
    assert seen == {
        "keep": 1,
        "volatile$$": {
            "other": 2,
            "eventQueue$$": [{"type": "com.other.thing", "data": {"n": 7, "p": 3}}],
        },
    }
    assert result.state["context"]["arvo$$"] == {"keep": 1}


def test_the_root_state_is_not_checked_for_arvo_compatibility():
    # machine.py checks every state below the root; a root-level 'after' is left to the
    # interpreter, which accepts it.
    config = {"initial": "a", "after": {"100": ".a"}, "states": {"a": {}}}
    machine = _setup(arvo_compatible=True).create_machine(id="m", config=config)
    assert machine.config["after"] == {"100": ".a"}


def test_a_machine_origin_describes_itself():
    assert (
        MachineOrigin(module="app.machines", factory="build").describe() == "app.machines:build()"
    )
    assert MachineOrigin(module="app.machines", factory=None).describe() == "app.machines"
