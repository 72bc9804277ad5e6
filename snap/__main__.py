"""``python -m snap``: the Open API client's command line (snap.cli)."""

import sys

from snap.cli import main

sys.exit(main())
