#!/usr/bin/env bash
# Set up (if needed) and run the main job: Kafka, topics, both services, sample interviews.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash deploy/local/setup.sh
exec .venv/bin/hiring-pipeline run "$@"
