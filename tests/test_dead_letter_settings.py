"""Where a worker keeps dead letters: ``ARVO_DEAD_LETTER`` / ``--dead-letter``, else the app's own,
else ``dead-letter.jsonl`` under ``ARVO_DATA_DIR`` (default ``.arvo-temporal``). Every value comes
from an explicit env mapping; the worker running for real is in
``tests/temporal/test_clean_exits.py``."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from arvo_temporal.cli import SettingsError, run
from arvo_temporal.cli._runtime import build_dead_letter, with_overrides
from arvo_temporal.sinks import (
    ForwardingDeadLetterSink,
    JsonLinesDeadLetterSink,
    MemorySink,
    StdoutSink,
)
from arvo_temporal.temporal import ArvoApp, HandlerSettings
from workers.main import load_settings

APP = {"ARVO_APP": "examples.app:app"}


@pytest.fixture(autouse=True)
def no_user_config_file(tmp_path, monkeypatch):
    """envconfig reads ~/.config/temporalio/temporal.toml when no file is named."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))


def test_the_worker_reads_the_dead_letter_and_the_data_dir_from_its_environment(tmp_path):
    default = load_settings(APP)
    assert (default.dead_letter, default.data_dir) == (None, ".arvo-temporal")

    settings = load_settings(
        {**APP, "ARVO_DEAD_LETTER": " jsonl:dead.jsonl ", "ARVO_DATA_DIR": str(tmp_path)}
    )
    assert (settings.dead_letter, settings.data_dir) == ("jsonl:dead.jsonl", str(tmp_path))
    blank = load_settings({**APP, "ARVO_DEAD_LETTER": " ", "ARVO_DATA_DIR": ""})
    assert (blank.dead_letter, blank.data_dir) == (None, ".arvo-temporal")


def test_a_bad_dead_letter_url_names_the_variable_but_never_the_url():
    with pytest.raises(SettingsError) as raised:
        load_settings({**APP, "ARVO_DEAD_LETTER": "ftp://ops:s3cret@host/dead"})
    assert str(raised.value).startswith("ARVO_DEAD_LETTER: unsupported sink URL scheme 'ftp'")
    assert "s3cret" not in str(raised.value)
    assert raised.value.code == 2


def test_the_url_wins_then_the_apps_own_then_the_file_in_the_data_dir(tmp_path):
    plain = ArvoApp()
    own = JsonLinesDeadLetterSink(tmp_path / "own.jsonl")
    with_own = ArvoApp(dead_letter=own)

    from_url, made = build_dead_letter(with_own, url="stdout:", data_dir=str(tmp_path))
    assert made and isinstance(from_url, ForwardingDeadLetterSink)
    assert isinstance(from_url.sink, StdoutSink)
    assert build_dead_letter(with_own, url=None, data_dir=str(tmp_path)) == (own, False)
    default, made = build_dead_letter(plain, url=None, data_dir=str(tmp_path / "data"))
    assert not made and isinstance(default, JsonLinesDeadLetterSink)
    assert default.path == (tmp_path / "data").resolve() / "dead-letter.jsonl"


def test_the_served_copy_keeps_the_apps_settings_and_takes_the_dead_letter(tmp_path):
    app = ArvoApp(
        sinks={"default": MemorySink()},
        handler_timeout=timedelta(seconds=7),
        handler_heartbeat=timedelta(seconds=3),
        handler_settings={"com.x": HandlerSettings(timeout=timedelta(seconds=1))},
        task_queue="q",
    )
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead.jsonl")

    served = with_overrides(app, dead_letter=dead_letter)

    assert served is not app and served.dead_letter is dead_letter
    assert served.handler_timeout == timedelta(seconds=7)
    assert served.handler_heartbeat == timedelta(seconds=3)
    assert served.handler_settings == app.handler_settings
    assert served.task_queue == "q" and served.sinks.sinks == app.sinks.sinks
    assert app.dead_letter is None  # untouched


async def test_the_dead_letter_option_is_checked_like_a_sink_url():
    out, err = io.StringIO(), io.StringIO()
    code = await run(
        ["worker", "--app", "examples.app:app", "--dead-letter", "gopher://ops:s3cret@host/"],
        env={},
        stdin=io.StringIO(),
        stdout=out,
        stderr=err,
    )
    assert code == 2
    assert err.getvalue().startswith("arvo-temporal: --dead-letter: unsupported sink URL scheme")
    assert "s3cret" not in err.getvalue()
