"""``python -m arvo_temporal.cli``: the same as the ``arvo-temporal`` console script."""

import sys

from arvo_temporal.cli._commands import main

sys.exit(main())
