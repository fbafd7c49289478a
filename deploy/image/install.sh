#!/bin/sh
# Install hiring-pipeline into a virtualenv at $1 without pip in it, from the source tree in the current
# directory. The Dockerfile's build stage runs exactly this; tests/deploy/test_image.py runs it too, to
# check the image's layout and entry points without a Docker engine.
set -eu
prefix=${1:?usage: install.sh PREFIX}
python=${PYTHON:-python3}
# The API pages' scripts and styles (ADR 0031) into the source tree, so the wheel carries them: pinned
# npm tarballs checked against their integrity; files already in the context are kept if their hashes match.
"$python" "$(dirname "$0")/hiring-pipeline-api-assets" fetch
# No pip, setuptools or wheel in the runtime environment: nothing there can build or install code.
"$python" -m venv --without-pip "$prefix"
# pip of the build stage installs into the venv (pip >= 22.3); byte-compiled now, because the root
# filesystem is read-only at run time (PYTHONDONTWRITEBYTECODE=1 there).
"$python" -m pip --python "$prefix/bin/python" install --no-cache-dir --no-warn-script-location \
  --disable-pip-version-check --compile .
# What must be there: both services' and the audit's entry points.
for script in hiring-pipeline hiring-audit; do
  test -x "$prefix/bin/$script"
done
# ... and every asset of the API pages, as locked.
for site in "$prefix"/lib/python3*/site-packages; do
  "$python" "$(dirname "$0")/hiring-pipeline-api-assets" check --root "$site"
done
