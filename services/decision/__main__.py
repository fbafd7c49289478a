"""``python -m services.decision [projector|candidacy|query|serve|parked|retry-parked]`` (default: serve,
all roles in one process, for development)."""

import sys

from services.decision.entrypoints.cli import app

if __name__ == "__main__":
    app(args=sys.argv[1:] or ["serve"], prog_name="python -m services.decision")
