#!/usr/bin/env bash
# Render the Helm chart for teams that apply plain manifests or kustomize: the KafkaTopics into
# topics/kafkatopics.yaml, everything else into base/hiring-pipeline.yaml. Two kustomizations, so that
# `kubectl delete -k` of the workloads never deletes a topic (deleting a KafkaTopic makes Strimzi delete
# the topic; interview.events is the system of record). tests/deploy/test_cluster.py fails when the
# committed files differ from the chart's output.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
helm=${HELM:-$(command -v helm || echo "${HIRING_PIPELINE_K8S_TOOLS:-$HOME/.cache/hiring-pipeline/k8s}/bin/helm")}
header="# Rendered from deploy/helm/hiring-pipeline with base/values.yaml by deploy/kustomize/render.sh: do not edit."
rendered=$("$helm" template hiring-pipeline ../helm/hiring-pipeline --namespace default -f base/values.yaml)
# Split helm's "---" documents by the template they come from.
split() {  # $1: keep the KafkaTopic documents (1) or the others (0)
  echo "$header"
  awk -v topics="$1" '
    /^---$/ { if (doc != "") flush(); doc = $0 "\n"; next }
    { doc = doc $0 "\n" }
    END { flush() }
    function flush() {
      is_topics = index(doc, "# Source: hiring-pipeline/templates/kafkatopics.yaml") > 0
      if ((topics == 1) == is_topics) printf "%s", doc
      doc = ""
    }' <<< "$rendered"
}
split 0 > base/hiring-pipeline.yaml
split 1 > topics/kafkatopics.yaml
echo "wrote deploy/kustomize/base/hiring-pipeline.yaml and deploy/kustomize/topics/kafkatopics.yaml"
