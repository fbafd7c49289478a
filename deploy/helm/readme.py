"""Write the chart's README.md (what `helm show readme` prints) with helm-docs, from values.yaml as it is.

helm-docs lists every value with its type and default, and takes a value's description from a
`# --` comment above it. values.yaml keeps plain comments (they read better there), so helm-docs runs on
a copy of the chart whose comments are turned into descriptions: a value's own comment, else the comment
of its parent key. Only leaves get descriptions: helm-docs would drop the undocumented
children of a documented map, and every parameter must be listed.

    python3 deploy/helm/readme.py          # write deploy/helm/hiring-pipeline/README.md
    python3 deploy/helm/readme.py --check  # exit 1 when README.md is stale (tests/deploy run this check)

helm-docs comes from deploy/k8s/tools.sh (HELM_DOCS, else PATH, else the tools' bin directory).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHART = HERE / "hiring-pipeline"
TEMPLATE = HERE / "README.md.gotmpl"
KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):(?P<rest>.*)$")
COMMENT = re.compile(r"^(?P<indent> *)#(?P<text>.*)$")


def helm_docs() -> str:
    """The helm-docs binary."""
    tools = Path(os.environ.get("HIRING_PIPELINE_K8S_TOOLS", Path.home() / ".cache/hiring-pipeline/k8s"))
    return os.environ.get("HELM_DOCS") or shutil.which("helm-docs") or str(tools / "bin" / "helm-docs")


def _is_parent(lines: list[str], index: int, indent: int, rest: str) -> bool:
    """A key with nothing after the colon whose next content line is indented deeper."""
    if rest.split("#", 1)[0].strip():
        return False
    for line in lines[index + 1 :]:
        if line.strip() and not line.lstrip().startswith("#"):
            return len(line) - len(line.lstrip(" ")) > indent
    return False


def described(values: str) -> str:
    """values.yaml with each leaf's comment (or its parent key's) as a `# --` description."""
    lines, out = values.splitlines(), []
    pending: list[str] = []  # the comment lines directly above the current line
    parents: list[tuple[int, list[str]]] = []  # (indent, comment) of the open parent keys
    for index, line in enumerate(lines):
        comment, key = COMMENT.match(line), KEY.match(line)
        if comment:
            pending.append(comment["text"].strip())
            continue
        if not key:
            pending = []
            out.append(line)
            continue
        indent = len(key["indent"])
        while parents and parents[-1][0] >= indent:
            parents.pop()
        own = [text for text in pending if text]
        pending = []
        if _is_parent(lines, index, indent, key["rest"]):
            parents.append((indent, own))
        else:
            text = own or (parents[-1][1] if parents else [])
            if text:
                out.append(f"{key['indent']}# -- {text[0]}")
                out += [f"{key['indent']}# {more}" for more in text[1:]]
        out.append(line)
    return "\n".join(out) + "\n"


def render() -> str:
    """README.md as helm-docs writes it for the chart's current values.yaml."""
    with tempfile.TemporaryDirectory() as tmp:
        chart = Path(tmp) / CHART.name
        shutil.copytree(CHART, chart, ignore=shutil.ignore_patterns("README.md"))
        (chart / "values.yaml").write_text(described((CHART / "values.yaml").read_text()))
        shutil.copy(TEMPLATE, chart / "README.md.gotmpl")
        subprocess.run(
            [helm_docs(), "--chart-search-root", str(chart), "--sort-values-order", "file",
             "--template-files", "README.md.gotmpl", "--log-level", "warning"],
            check=True, cwd=tmp,
        )  # fmt: skip
        return (chart / "README.md").read_text()


def main() -> int:
    """Write README.md, or with --check say whether it is current."""
    readme, text = CHART / "README.md", render()
    if "--check" in sys.argv[1:]:
        if not readme.exists() or readme.read_text() != text:
            print("deploy/helm/hiring-pipeline/README.md is stale: run python3 deploy/helm/readme.py")
            return 1
        return 0
    readme.write_text(text)
    print(f"wrote {readme.relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
