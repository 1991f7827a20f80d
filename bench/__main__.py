"""``python -m bench``: run every benchmark, relay and client core (see :mod:`bench.run_all`)."""

from .run_all import main

raise SystemExit(main())
