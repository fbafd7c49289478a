"""Fetch the browser assets of /docs, /redoc and /asyncapi into the package, checked against the lock.

Standard library only: it runs before the project is installed (deploy/local/setup.sh, the image's build
stage through install.sh). Each npm tarball named in ``services/platform/api_assets/lock.json`` is
downloaded from the registry (or taken from the cache, ``~/.cache/hiring-pipeline/npm``), checked
against its pinned SRI integrity (sha512), and only the listed files (the bundles and their licences)
are written beside the lock, each checked against its pinned SHA-256. Files already in place with the
pinned hash are kept: a second run downloads nothing. ADR 0031.

    python3 deploy/image/api_assets.py fetch [--root DIR]   # fetch what is missing or wrong
    python3 deploy/image/api_assets.py check [--root DIR]   # exit 1 naming what is missing or wrong
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

LOCK = Path("services/platform/api_assets/lock.json")
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hiring-pipeline" / "npm"


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sri_ok(data: bytes, integrity: str) -> bool:
    """Whether ``data`` has the npm registry's ``sha512-<base64>`` integrity."""
    algorithm, _, digest = integrity.partition("-")
    return algorithm == "sha512" and base64.b64encode(hashlib.sha512(data).digest()).decode() == digest


def problems(package: dict[str, Any], base: Path) -> list[str]:
    """What is missing or differs from the lock among ``package``'s files under ``base``."""
    found = []
    for name, digest in package["files"].items():
        path = base / package["dir"] / name
        if not path.is_file():
            found.append(f"{path}: missing")
        elif sha256(path.read_bytes()) != digest:
            found.append(f"{path}: sha256 differs from the lock")
    return found


def tarball(package: dict[str, Any]) -> bytes:
    """The package's npm tarball (cached), checked against its pinned integrity."""
    cached = CACHE / f"{package['dir']}.tgz"
    if cached.is_file() and sri_ok(data := cached.read_bytes(), package["integrity"]):
        return data
    print(f"==> fetching {package['name']}@{package['version']} from {package['tarball']}", file=sys.stderr)
    with urllib.request.urlopen(package["tarball"], timeout=120) as response:  # a pinned https URL
        data = response.read()
    if not sri_ok(data, package["integrity"]):
        raise SystemExit(f"error: {package['tarball']} does not match its pinned integrity; not used")
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=CACHE, delete=False) as out:
            out.write(data)
        os.replace(out.name, cached)
    except OSError:  # a read-only or missing home (an image build): the cache is only a convenience
        pass
    return data


def extract(package: dict[str, Any], base: Path) -> None:
    """Write the package's listed files under ``base/<dir>``, each checked against its SHA-256."""
    with tarfile.open(fileobj=io.BytesIO(tarball(package)), mode="r:gz") as archive:
        for name, digest in package["files"].items():
            member = archive.extractfile(f"package/{name}")
            data = b"" if member is None else member.read()
            if sha256(data) != digest:
                raise SystemExit(f"error: {package['name']}: {name} does not match its pinned sha256")
            target = base / package["dir"] / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    """``fetch`` what is missing, or ``check`` that everything is in place."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["fetch", "check"])
    parser.add_argument("--root", type=Path, default=Path("."), help="the source tree (default: .)")
    args = parser.parse_args(argv)
    lock = args.root / LOCK
    base = lock.parent
    packages = json.loads(lock.read_text(encoding="utf-8"))["packages"]
    wrong = []
    for package in packages:
        if problems(package, base) and args.command == "fetch":
            extract(package, base)
        wrong += problems(package, base)
    for line in wrong:
        print(f"error: {line} (run: python3 deploy/image/api_assets.py fetch)", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
