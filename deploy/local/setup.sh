#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: a virtualenv with the project, the API pages' assets and the Kafka
# jars. Wheels are cached by pip (~/.cache/pip), jars and npm tarballs in ~/.cache/hiring-pipeline, Maven's in ~/.m2.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: Python 3.11+ is required ($PYTHON is $("$PYTHON" --version 2>&1 || echo missing))." >&2
  echo "Set PYTHON=/path/to/python3.11 or install it." >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
# The API pages' scripts and styles (ADR 0031): pinned npm tarballs, checked against their integrity and
# cached in ~/.cache/hiring-pipeline/npm; a no-op when the files are in place.
"$PYTHON" deploy/image/api_assets.py fetch
stamp=.venv/.hiring-pipeline-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> installing hiring-pipeline and its dev tools into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
fi
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  # The embedded broker needs Java 17+ and (once) Maven; this names what is missing if not.
  .venv/bin/hiring-pipeline kafka fetch
fi
