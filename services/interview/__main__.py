"""``python -m services.interview [serve|reset-state]`` (default: serve: HTTP + writer, from env)."""

import sys

from services.interview.entrypoints.cli import app

if __name__ == "__main__":
    app(args=sys.argv[1:] or ["serve"], prog_name="python -m services.interview")
