"""``python -m protocols``: see :mod:`protocols.cli`."""

import sys

from .cli import main

sys.exit(main())
