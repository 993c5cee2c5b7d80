"""``python -m divergences.cli`` runs the command line, as ``python -m divergences`` does."""

from . import main

raise SystemExit(main())
