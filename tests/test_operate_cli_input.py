"""``arvo-temporal cancel --query`` and ``schedule create`` refuse unusable input before they
connect: one line on stderr, exit 2, never a traceback. No server is needed (the address given
is a free port nothing listens on, so reaching the network would fail differently)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from examples.calculator.starter import adder_init
from tests.test_cli_input import ADDRESS, assert_one_line_usage_error, run_cli


def template_file(tmp_path, value) -> str:
    path = tmp_path / "template.json"
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["cancel"], "give an execution ID or --query, not both"),
        (["cancel", "some-id", "--query", "x = 1"], "give an execution ID or --query, not both"),
        (["cancel", "--query", "x = 1) OR (y = 2"], "a ')' that closes nothing at character 6"),
        (["cancel", "--query", ""], "the query is empty"),
        (["cancel", "--query", "x = 1", "--concurrency", "0"], "is not a whole number"),
    ],
)
def test_bulk_cancel_input_errors(argv, reason):
    line = assert_one_line_usage_error(*run_cli(*argv, *ADDRESS))
    assert reason in line


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("()'\" -#/*\\x=")), min_size=1, max_size=12))
def test_a_query_that_could_escape_never_reaches_the_network(query):
    code, out, err = run_cli("cancel", "--query", query, *ADDRESS)
    if code == 2:
        assert_one_line_usage_error(code, out, err)
    else:  # an enclosable query: it tried to connect to the closed port, still one line
        assert code == 1 and len(err.splitlines()) == 1 and "Traceback" not in err


def test_template_that_is_not_an_init_is_refused(tmp_path):
    completion = adder_init(1, 2).to_json() | {"type": "arvo.orc.adder.done"}
    argv = ["schedule", "create", "s", "--every", "1h", "--event-template"]
    line = assert_one_line_usage_error(
        *run_cli(*argv, template_file(tmp_path, completion), *ADDRESS)
    )
    assert "is not an init event" in line and "template.json" in line


def test_template_off_the_apps_contract_is_refused(tmp_path):
    off = adder_init(1, 2).to_json()
    off["data"] = {"parentSubject$$": None, "a": "one"}
    argv = ["schedule", "create", "s", "--cron", "0 * * * *", "--app", "examples.app:app"]
    line = assert_one_line_usage_error(
        *run_cli(*argv, "--event-template", template_file(tmp_path, off), *ADDRESS)
    )
    assert "breaks arvo.orc.adder 1.0.0's contract" in line


@pytest.mark.parametrize(
    ("extra", "template", "reason"),
    [
        ([], adder_init(1, 2).to_json(), "give at least one --cron or --every"),
        (["--every", "soon"], adder_init(1, 2).to_json(), "'soon' is not a duration"),
        (["--every", "1h"], "[1, 2", "is not valid JSON"),
        (["--every", "1h"], [adder_init(1, 2).to_json()], "must be a JSON object"),
        (
            ["--every", "1h"],
            {k: v for k, v in adder_init(1, 2).to_json().items() if k != "dataschema"},
            "has no version",
        ),
        (["--every", "1h", "--catchup-window", "0"], adder_init(1, 2).to_json(), "not a positive"),
    ],
)
def test_schedule_create_input_errors(tmp_path, extra, template, reason):
    argv = [
        "schedule",
        "create",
        "s",
        *extra,
        "--event-template",
        template_file(tmp_path, template),
    ]
    line = assert_one_line_usage_error(*run_cli(*argv, *ADDRESS))
    assert reason in line
