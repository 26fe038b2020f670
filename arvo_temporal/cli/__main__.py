"""``python -m arvo_temporal.cli``: the same as the ``arvo-temporal`` console script."""

from arvo_temporal.cli import console_script

console_script()
