#!/usr/bin/env bash
# Set up (if needed), lint, type-check and run the whole test suite against a real Kafka broker.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash deploy/local/setup.sh
echo "==> ruff";  .venv/bin/ruff check services schemas tests benchmarks testkit
echo "==> mypy";  .venv/bin/mypy
bash deploy/local/browser.sh  # headless Chromium for tests/browser (Debian's package; skipped when present)
bash deploy/k8s/tools.sh  # the deploy tests' Kubernetes tools: built once, cached in ~/.cache/hiring-pipeline/k8s
echo "==> pytest"
exec .venv/bin/pytest --durations=15 "$@"
