"""`python -m laplace_rice` / `laplace-rice`: the command line tool (see `laplace_rice.cli`)."""

from __future__ import annotations

from laplace_rice.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
