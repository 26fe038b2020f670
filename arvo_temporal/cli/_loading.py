"""Loading what a deployment names as ``module:attribute``: the app (``--app`` / ``ARVO_APP``)
and the payload codec (``--codec`` / ``ARVO_CODEC``).

Either attribute may be the object itself or a function without arguments that returns it, so a
module can build it from its own settings (a key from the environment) when it is asked for.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from typing import Any

from temporalio.converter import PayloadCodec

from arvo_temporal.cli._errors import CommandError, SettingsError, one_line
from arvo_temporal.temporal._app import ArvoApp

__all__ = ["load_app", "load_codec", "parse_app_spec", "parse_spec"]

_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def parse_spec(spec: str, *, what: str, example: str) -> tuple[str, str]:
    """Split ``package.module:attribute`` (the attribute may be dotted).

    Raises:
        SettingsError: anything else, naming ``what`` and an ``example``.
    """
    module, colon, attribute = spec.strip().partition(":")
    if not colon or not _DOTTED.fullmatch(module) or not _DOTTED.fullmatch(attribute):
        raise SettingsError(
            f"the {what} must be given as module:attribute (e.g. {example}); got {spec!r}"
        )
    return module, attribute


def parse_app_spec(spec: str) -> tuple[str, str]:
    """:func:`parse_spec` for an app (``examples.app:app``)."""
    return parse_spec(spec, what="app", example="examples.app:app")


def _import(spec: str, *, what: str, example: str) -> Any:
    """The object ``spec`` names.

    The working directory is put on ``sys.path`` first, as ``python -m`` would, so a module next
    to the user (``examples.app`` in a checkout) is found from the installed console script.

    Raises:
        SettingsError: a malformed spec, or a module or attribute that does not exist.
        CommandError: the module raised while being imported.
    """
    module_name, attribute = parse_spec(spec, what=what, example=example)
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or module_name
        if module_name == missing or module_name.startswith(f"{missing}."):
            raise SettingsError(
                f"cannot import {module_name} for the {what} {spec}: no module named {missing} "
                f"(looked in {cwd} and the installed packages)"
            ) from None
        raise CommandError(
            f"importing {module_name} failed: {type(error).__name__}: {one_line(error)}"
        ) from None
    except Exception as error:
        raise CommandError(
            f"importing {module_name} failed: {type(error).__name__}: {one_line(error)}"
        ) from None
    value: Any = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise SettingsError(f"{module_name} has no attribute {attribute} (the {what} {spec})")
        value = getattr(value, part)
    return value


def _built(value: Any, spec: str, kind: type[Any]) -> Any:
    """``value``, or what it returns when it is a factory (a callable that is not a ``kind``)."""
    if isinstance(value, kind) or not callable(value):
        return value
    try:
        return value()
    except Exception as error:
        raise CommandError(f"{spec} failed: {type(error).__name__}: {one_line(error)}") from None


def load_app(spec: str) -> ArvoApp:
    """Import ``module:attribute`` and return the ``ArvoApp`` it names (or a factory returns).

    Raises:
        SettingsError: a malformed spec, a module or attribute that does not exist, or an
            object that is not an ``ArvoApp``.
        CommandError: the module or the factory raised.
    """
    value = _built(_import(spec, what="app", example="examples.app:app"), spec, ArvoApp)
    if not isinstance(value, ArvoApp):
        raise SettingsError(f"{spec} is a {type(value).__name__}, not an ArvoApp")
    return value


def load_codec(spec: str) -> PayloadCodec:
    """Import ``module:attribute`` and return the ``temporalio.converter.PayloadCodec`` it names
    (or a factory without arguments returns).

    Raises:
        SettingsError: a malformed spec, a module or attribute that does not exist, or an
            object that is not a ``PayloadCodec``.
        CommandError: the module or the factory raised (e.g. its key is missing).
    """
    example = "examples.codec:codec"
    value = _built(_import(spec, what="codec", example=example), spec, PayloadCodec)
    if not isinstance(value, PayloadCodec):
        raise SettingsError(
            f"{spec} is a {type(value).__name__}, not a temporalio.converter.PayloadCodec"
        )
    return value
