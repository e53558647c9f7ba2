"""``python -m authclients.tui.cli``: the same as the ``authclients`` console script."""

import sys

from authclients.tui.cli.main import main

sys.exit(main())
