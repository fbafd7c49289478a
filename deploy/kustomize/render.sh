#!/usr/bin/env bash
# Render the Helm chart into base/hiring-pipeline.yaml for teams that apply plain manifests or kustomize.
# tests/deploy/test_cluster.py fails when the committed file differs from the chart's output.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
helm=${HELM:-$(command -v helm || echo "${HIRING_PIPELINE_K8S_TOOLS:-$HOME/.cache/hiring-pipeline/k8s}/bin/helm")}
{
  echo "# Rendered from deploy/helm/hiring-pipeline with base/values.yaml by deploy/kustomize/render.sh: do not edit."
  "$helm" template hiring-pipeline ../helm/hiring-pipeline --namespace default -f base/values.yaml
} > base/hiring-pipeline.yaml
echo "wrote deploy/kustomize/base/hiring-pipeline.yaml"
