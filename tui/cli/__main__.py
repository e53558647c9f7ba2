"""``python -m authclients.tui.cli``: the same as the ``authclients`` console script."""

import sys

from authclients.tui.cli import main

sys.exit(main())
