"""``python -m chainrule`` runs the command line."""

import sys

from .app.main import main

sys.exit(main())
