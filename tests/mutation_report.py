"""Per-module summary of the last mutation run (``make mutate``; MUTATION.md says how to read it).

``python -m tests.mutation_report --prune`` first drops copies of deleted files from
``mutants/``; ``python -m tests.mutation_report [MODULE]`` reads ``mutmut results`` and MUTATION.md's two lists
(equivalent mutants, and known survivors that are not equivalent but cannot be killed by the pure
tests), prints one row per module (generated, killed, equivalent, surviving, of which
unexplained, not checked, and the kill rate of the non-equivalent mutants) and names every
survivor that MUTATION.md does not explain. It exits with status 1 when there is one, so a
changed module cannot quietly lose tests; a listed mutant that is now killed is reported too
(its number may have moved).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTATION_MD = ROOT / "MUTATION.md"

# mutmut names a mutant <module>.x_<function>__mutmut_<n> or <module>.xǁ<Class>ǁ<method>__mutmut_<n>.
MUTANT_NAME = re.compile(r"(?P<module>[\w.]+?)\.x(?:_|ǁ)[\wǁ]*__mutmut_\d+")
RESULT_LINE = re.compile(r"^\s*(?P<name>\S+): (?P<status>.+)$")
KILLED = {"killed", "timeout", "segfault", "caught by type check"}
NOT_CHECKED = {"not checked", "check was interrupted by user", "skipped"}


def module_of(mutant: str) -> str:
    """The dotted module a mutant belongs to."""
    match = MUTANT_NAME.fullmatch(mutant)
    if match is None:
        raise ValueError(f"not a mutmut mutant name: {mutant!r}")
    return match["module"]


def parse_results(lines: Iterable[str]) -> dict[str, str]:
    """``mutmut results --all true`` output → mutant name → status."""
    statuses: dict[str, str] = {}
    for line in lines:
        match = RESULT_LINE.match(line)
        if match and MUTANT_NAME.fullmatch(match["name"]):
            statuses[match["name"]] = match["status"].strip()
    return statuses


def listed(text: str, heading: str) -> set[str]:
    """Mutant names in backticks in MUTATION.md's section ``## <heading>``."""
    _, found, rest = text.partition(f"\n## {heading}")
    if not found:
        return set()
    section = rest.split("\n## ", 1)[0]
    return {match.group(0).strip("`") for match in re.finditer(r"`[^`]+`", section)} & {
        match.group(0) for match in MUTANT_NAME.finditer(section)
    }


def summarise(
    statuses: Mapping[str, str],
    equivalents: set[str],
    known: set[str],
    selected: str = "",
) -> tuple[list[tuple[str, Counter[str]]], list[str], list[str]]:
    """Rows per module, the unexplained survivors and the listed mutants that were killed."""
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    unexplained: list[str] = []
    stale: list[str] = []
    for name, status in sorted(statuses.items()):
        module = module_of(name)
        if selected and not (module == selected or module.startswith(selected + ".")):
            continue
        row = by_module[module]
        row["generated"] += 1
        if status in KILLED:
            row["killed"] += 1
            if name in equivalents or name in known:
                stale.append(name)
        elif status in NOT_CHECKED:
            row["not checked"] += 1
        elif name in equivalents:
            row["equivalent"] += 1
        else:
            row["surviving"] += 1
            if name not in known:
                row["unexplained"] += 1
                unexplained.append(f"{name} ({status})")
    return sorted(by_module.items()), unexplained, stale


def kill_rate(row: Mapping[str, int]) -> str:
    """Killed / (generated − equivalent − not checked), as a percentage."""
    judged = row["generated"] - row["equivalent"] - row["not checked"]
    return f"{100 * row['killed'] / judged:.1f} %" if judged else "—"


def render(rows: list[tuple[str, Counter[str]]]) -> str:
    """A Markdown table, as MUTATION.md records it."""
    header = (
        "| module | generated | killed | equivalent | surviving | unexplained | not checked "
        "| kill rate |"
    )
    lines = [header, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    total: Counter[str] = Counter()
    for module, row in rows:
        total.update(row)
        lines.append(
            f"| `{module}` | {row['generated']} | {row['killed']} | {row['equivalent']} | "
            f"{row['surviving']} | {row['unexplained']} | {row['not checked']} | "
            f"{kill_rate(row)} |"
        )
    lines.append(
        f"| **all** | {total['generated']} | {total['killed']} | {total['equivalent']} | "
        f"{total['surviving']} | {total['unexplained']} | {total['not checked']} | "
        f"{kill_rate(total)} |"
    )
    return "\n".join(lines)


def selection(module_path: str) -> str:
    """``arvo_temporal/engine.py`` or ``arvo_temporal/statechart/`` → a dotted module prefix."""
    cleaned = module_path.strip().rstrip("/").removesuffix(".py")
    return cleaned.replace("/", ".")


MUTMUT_SUFFIXES = (".meta", ".spans")
MUTMUT_FILES = {"mutmut-stats.json", "mutmut-cicd-stats.json", "mutmut-debug.log"}


def prune(root: Path) -> list[Path]:
    """Delete what ``mutants/`` still holds of files the repository no longer has.

    mutmut copies sources and tests into ``mutants/`` but never removes a copy, so a module or
    test renamed since the last run would still be imported or collected there. A mutant file's
    ``.meta``/``.spans`` go with it. Returns the deleted paths.
    """
    mutants = root / "mutants"
    removed: list[Path] = []
    if not mutants.is_dir():
        return removed
    for copy in sorted(mutants.rglob("*")):
        if not copy.is_file() or copy.name in MUTMUT_FILES or "__pycache__" in copy.parts:
            continue
        relative = copy.relative_to(mutants)
        for suffix in MUTMUT_SUFFIXES:
            if relative.name.endswith(".py" + suffix):
                relative = relative.with_name(relative.name.removesuffix(suffix))
        if not (root / relative).exists():
            copy.unlink()
            removed.append(copy)
    return removed


def main(argv: list[str]) -> int:
    if argv[:1] == ["--prune"]:
        for path in prune(ROOT):
            print(f"removed stale {path.relative_to(ROOT)}")
        return 0
    selected = selection(argv[0]) if argv else ""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("mutmut")), "results", "--all", "true"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    statuses = parse_results(done.stdout.splitlines())
    notes = MUTATION_MD.read_text(encoding="utf-8") if MUTATION_MD.is_file() else ""
    equivalents = listed(notes, "Equivalent mutants")
    known = listed(notes, "Known survivors")
    rows, unexplained, stale = summarise(statuses, equivalents, known, selected)
    print(render(rows))
    for name in stale:
        print(f"listed in MUTATION.md but killed: {name}")
    for name in unexplained:
        print(f"survivor not explained in MUTATION.md: {name}")
    if not rows:
        print(f"no mutants found for {selected or 'any module'}: run `make mutate` first")
        return 1
    return 1 if unexplained else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
