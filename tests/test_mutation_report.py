"""The `make mutate` summary (tests/mutation_report.py) on made-up results."""

from __future__ import annotations

from tests.mutation_report import (
    kill_rate,
    listed,
    module_of,
    parse_results,
    prune,
    render,
    selection,
    summarise,
)

RESULTS = """\
    arvo_temporal.engine.x_pending_timers__mutmut_1: killed
    arvo_temporal.engine.x_pending_timers__mutmut_2: survived
    arvo_temporal.engine.xǁStatechartExecutionEngineǁexecute__mutmut_3: timeout
    arvo_temporal.engine.xǁStatechartExecutionEngineǁexecute__mutmut_4: no tests
    arvo_temporal.statechart._tree.x_bits__mutmut_1: not checked
    arvo_temporal.statechart._tree.x_bits__mutmut_2: survived
    not a result line
"""

NOTES = """\
# Mutation testing

## Equivalent mutants

| mutant | why |
| --- | --- |
| `arvo_temporal.engine.x_pending_timers__mutmut_2` | sorting is stable |

## Known survivors

- `arvo_temporal.statechart._tree.x_bits__mutmut_2`: needs a fork-free run.

## Elsewhere

`arvo_temporal.engine.x_pending_timers__mutmut_1` is only mentioned here.
"""


def test_results_and_notes_are_read():
    statuses = parse_results(RESULTS.splitlines())
    assert len(statuses) == 6
    assert statuses["arvo_temporal.engine.xǁStatechartExecutionEngineǁexecute__mutmut_4"] == (
        "no tests"
    )
    assert module_of("arvo_temporal.statechart._tree.x_bits__mutmut_2") == (
        "arvo_temporal.statechart._tree"
    )
    assert listed(NOTES, "Equivalent mutants") == {
        "arvo_temporal.engine.x_pending_timers__mutmut_2"
    }
    assert listed(NOTES, "Known survivors") == {"arvo_temporal.statechart._tree.x_bits__mutmut_2"}
    assert listed(NOTES, "Missing heading") == set()


def test_rows_count_kills_and_name_unexplained_survivors():
    statuses = parse_results(RESULTS.splitlines())
    equivalents = listed(NOTES, "Equivalent mutants")
    known = listed(NOTES, "Known survivors")
    rows, unexplained, stale = summarise(statuses, equivalents, known)
    by_module = dict(rows)
    engine = by_module["arvo_temporal.engine"]
    assert (engine["generated"], engine["killed"], engine["equivalent"], engine["surviving"]) == (
        4,
        2,
        1,
        1,
    )
    assert kill_rate(engine) == "66.7 %"
    tree = by_module["arvo_temporal.statechart._tree"]
    assert (tree["not checked"], tree["surviving"], tree["unexplained"]) == (1, 1, 0)
    assert kill_rate(tree) == "0.0 %"
    assert unexplained == [
        "arvo_temporal.engine.xǁStatechartExecutionEngineǁexecute__mutmut_4 (no tests)"
    ]
    assert stale == []
    table = render(rows)
    assert "| `arvo_temporal.engine` | 4 | 2 | 1 | 1 | 1 | 0 | 66.7 % |" in table
    assert table.splitlines()[-1] == "| **all** | 6 | 2 | 1 | 2 | 1 | 1 | 50.0 % |"


def test_a_module_or_package_can_be_selected():
    assert selection("arvo_temporal/engine.py") == "arvo_temporal.engine"
    assert selection("arvo_temporal/statechart/") == "arvo_temporal.statechart"
    statuses = parse_results(RESULTS.splitlines())
    rows, unexplained, _ = summarise(statuses, set(), set(), selected="arvo_temporal.statechart")
    assert [module for module, _ in rows] == ["arvo_temporal.statechart._tree"]
    assert unexplained == ["arvo_temporal.statechart._tree.x_bits__mutmut_2 (survived)"]
    killed_but_listed = {"arvo_temporal.engine.x_pending_timers__mutmut_1"}
    _, _, stale = summarise(statuses, killed_but_listed, set())
    assert stale == ["arvo_temporal.engine.x_pending_timers__mutmut_1"]


def test_prune_drops_copies_of_files_the_repository_no_longer_has(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "kept.py").write_text("")
    mutants = tmp_path / "mutants" / "pkg"
    mutants.mkdir(parents=True)
    for name in ("kept.py", "kept.py.meta", "gone.py", "gone.py.meta", "gone.py.spans"):
        (mutants / name).write_text("")
    (tmp_path / "mutants" / "mutmut-stats.json").write_text("{}")
    removed = prune(tmp_path)
    assert sorted(path.name for path in removed) == ["gone.py", "gone.py.meta", "gone.py.spans"]
    assert sorted(path.name for path in mutants.iterdir()) == ["kept.py", "kept.py.meta"]
    assert (tmp_path / "mutants" / "mutmut-stats.json").exists()
    assert prune(tmp_path / "nowhere") == []
