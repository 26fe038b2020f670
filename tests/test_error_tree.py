"""Every error class of the package appears in the tree drawn in ``arvo_temporal/errors.py``."""

from __future__ import annotations

import importlib
import pkgutil

import arvo_temporal
from arvo_temporal import errors


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def test_the_tree_names_every_error_class():
    for module in pkgutil.walk_packages(arvo_temporal.__path__, "arvo_temporal."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    ours = {
        cls
        for cls in _all_subclasses(errors.ArvoError)
        if cls.__module__.startswith("arvo_temporal") and not cls.__name__.startswith("_")
    }
    assert len(ours) >= 18
    missing = sorted(cls.__name__ for cls in ours if cls.__name__ not in (errors.__doc__ or ""))
    assert missing == []
