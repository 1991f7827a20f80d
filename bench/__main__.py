"""``python -m bench``: run every relay benchmark (see :mod:`bench.run_all`)."""

from .run_all import main

raise SystemExit(main())
