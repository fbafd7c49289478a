{{/* Safe defaults and guarded Kafka-level changes (ADR 0027). templates/guards.yaml runs the checks. */}}

{{/* Does any interview replica run without the shared KEK while more than one pod may run? */}}
{{- define "hp.kekShared" -}}
{{- $i := .Values.interview -}}
{{- if or (not $i.enabled) $i.kekSecret.name }}true{{ end -}}
{{- end -}}

{{- define "hp.interviewMayRunSeveral" -}}
{{- $i := .Values.interview -}}
{{- if or (gt (int $i.replicas) 1) $i.autoscaling.enabled $i.keda.enabled }}true{{ end -}}
{{- end -}}

{{/* Values that would lose data or never work: fail the render, saying what to set. */}}
{{- define "hp.validateSafety" -}}
{{- if and (not (include "hp.kekShared" .)) (include "hp.interviewMayRunSeveral" .) (not .Values.interview.insecureDevKekPerPod) -}}
{{- fail "interview: more than one replica (or autoscaling) without interview.kekSecret.name: each pod would make its own development key-encryption key, and text sealed by one pod (or by a pod a rollout replaced) could never be opened again. Create a shared Secret (kubectl create secret generic hiring-pipeline-kek --from-literal=kek=$(hiring-pipeline privacy new-kek)) and set interview.kekSecret.name, or set interview.insecureDevKekPerPod=true (development only)" -}}
{{- end -}}
{{- $users := .Values.strimzi.users -}}
{{- if $users.enabled -}}
{{- range $service := list "interview" "decision" -}}
{{- $v := index $.Values $service -}}
{{- $user := include "hp.kafkaUser" (dict "root" $ "component" $service) -}}
{{- if and $v.enabled (eq $users.authentication "tls") $v.kafkaUser.passwordSecret.name -}}
{{- fail (printf "%s.kafkaUser.passwordSecret: the KafkaUser authenticates with certificates (strimzi.users.authentication=tls); a password Secret would never be used" $service) -}}
{{- end -}}
{{- if and $v.enabled (eq $users.authentication "tls") $v.kafkaUser.certificateSecret.name (ne $v.kafkaUser.certificateSecret.name $user) -}}
{{- fail (printf "%s.kafkaUser.certificateSecret=%s: the User Operator writes the certificate of KafkaUser %s to the Secret %s; the pods would mount one Kafka does not trust. Leave it empty, or set strimzi.users.enabled=false and manage the user yourself" $service $v.kafkaUser.certificateSecret.name $user $user) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The SCRAM password of a KafkaUser taken from an existing Secret: (dict "root" $ "component" "interview").
Empty unless <service>.kafkaUser.passwordSecret names a Secret other than the one the User Operator writes. */}}
{{- define "hp.kafkaUserPassword" -}}
{{- $v := index .root.Values .component -}}
{{- $secret := $v.kafkaUser.passwordSecret -}}
{{- if and $secret.name (ne $secret.name (include "hp.kafkaUser" .)) -}}
password:
  valueFrom:
    # The pods read this Secret too: the User Operator sets the user's password from it.
    secretKeyRef:
      name: {{ $secret.name }}
      key: {{ $secret.key }}
{{- end -}}
{{- end -}}

{{/* Development settings in force, one line each (NOTES prints them). */}}
{{- define "hp.devWarnings" -}}
{{- $out := list -}}
{{- if .Values.auth.insecureDevNoAuth -}}
{{- $out = append $out "auth.insecureDevNoAuth=true: no authentication; every caller acts as role service." -}}
{{- end -}}
{{- if not (include "hp.kekShared" .) -}}
{{- if .Values.interview.insecureDevKekPerPod -}}
{{- $out = append $out "interview.insecureDevKekPerPod=true: several pods, each with its own KEK; text sealed by one pod cannot be opened by another." -}}
{{- end -}}
{{- $out = append $out "interview.kekSecret.name is empty: a development KEK in the pod's emptyDir; text it sealed is unreadable once the pod is replaced (rollout, eviction)." -}}
{{- end -}}
{{- if not (hasSuffix "SSL" .Values.kafka.securityProtocol) -}}
{{- $out = append $out (printf "kafka.securityProtocol=%s: Kafka traffic (and SASL credentials) unencrypted." .Values.kafka.securityProtocol) -}}
{{- end -}}
{{- if lt (int .Values.kafka.replicationFactor) 3 -}}
{{- $out = append $out (printf "kafka.replicationFactor=%d: a broker loss can lose acknowledged events." (int .Values.kafka.replicationFactor)) -}}
{{- end -}}
{{- if not .Values.networkPolicy.enabled -}}
{{- $out = append $out "networkPolicy.enabled=false: any pod can reach the services and they can reach anything." -}}
{{- end -}}
{{- if and .Values.strimzi.topics.enabled (not .Values.strimzi.topics.keepOnUninstall) -}}
{{- $out = append $out "strimzi.topics.keepOnUninstall=false: helm uninstall deletes the topics, interview.events (the record) included." -}}
{{- end -}}
{{- if .Values.kafkaChanges.acknowledgePartitionDecrease -}}
{{- $out = append $out "kafkaChanges.acknowledgePartitionDecrease=true: lower partition counts are rendered (Kafka never removes partitions); unset it after this upgrade." -}}
{{- end -}}
{{- if .Values.kafkaChanges.acknowledgePartitionIncrease -}}
{{- $out = append $out "kafkaChanges.acknowledgePartitionIncrease=true: partitions may be added while the interview service runs; unset it after this upgrade." -}}
{{- end -}}
{{- if .Values.kafkaChanges.acknowledgeTopicPrefixChange -}}
{{- $out = append $out "kafkaChanges.acknowledgeTopicPrefixChange=true: a changed topic prefix starts new, empty topics; unset it after this upgrade." -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* The prefix this release runs with now: a Deployment's KAFKA_TOPIC_PREFIX, or (after an uninstall that
kept the topics) the hiring-pipeline/topic-prefix of the release's KafkaTopics. Empty output: none found. */}}
{{- define "hp.currentPrefix" -}}
{{- $found := "" -}}
{{- range $w := include "hp.workloads" $ | fromYamlArray -}}
{{- $d := lookup "apps/v1" "Deployment" $.Release.Namespace (printf "%s-%s" (include "hp.fullname" $) $w.component) -}}
{{- if and $d (not $found) -}}
{{- range $c := $d.spec.template.spec.containers -}}
{{- range $e := $c.env -}}
{{- if eq $e.name "KAFKA_TOPIC_PREFIX" -}}{{- $found = printf "=%s" (default "" $e.value) -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not $found -}}
{{- range $t := (lookup "kafka.strimzi.io/v1" "KafkaTopic" $.Release.Namespace "").items | default list -}}
{{- $labels := $t.metadata.labels | default dict -}}
{{- $notes := $t.metadata.annotations | default dict -}}
{{- if and (not $found) (eq (get $labels "app.kubernetes.io/instance") $.Release.Name) (hasKey $notes "hiring-pipeline/topic-prefix") -}}
{{- $found = printf "=%s" (get $notes "hiring-pipeline/topic-prefix") -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $found -}}
{{- end -}}

{{/* Refuse a changed topic prefix unless acknowledged. */}}
{{- define "hp.validatePrefixChange" -}}
{{- $current := include "hp.currentPrefix" . -}}
{{- $wanted := .Values.kafka.topicPrefix -}}
{{- if and $current (ne $current (printf "=%s" $wanted)) (not .Values.kafkaChanges.acknowledgeTopicPrefixChange) -}}
{{- fail (printf "kafka.topicPrefix: release %s uses the prefix %q, the new values %q. The services would start on new, empty topics beside the old record (the old KafkaTopics are kept). If that is what you want, set kafkaChanges.acknowledgeTopicPrefixChange=true for this upgrade" .Release.Name (trimPrefix "=" $current) $wanted) -}}
{{- end -}}
{{- end -}}

{{/* Checks of one KafkaTopic against the namespace: (dict "root" $ "object" <name> "topic" <topic name>
"partitions" <n> "owners" <topic name -> object name of the KafkaTopics of this Strimzi cluster>). */}}
{{- define "hp.validateTopic" -}}
{{- $root := .root -}}
{{- $owner := get .owners .topic -}}
{{- if and $owner (ne $owner .object) -}}
{{- fail (printf "topic %s is already owned by KafkaTopic %s in namespace %s (another release or object): two KafkaTopics for one topic fight over it. Use another kafka.topicPrefix (or another release name that owns it)" .topic $owner $root.Release.Namespace) -}}
{{- end -}}
{{- $existing := lookup "kafka.strimzi.io/v1" "KafkaTopic" $root.Release.Namespace .object -}}
{{- if and $existing (not $root.Values.kafkaChanges.acknowledgePartitionDecrease) -}}
{{- $had := int (default 0 $existing.spec.partitions) -}}
{{- if gt $had (int .partitions) -}}
{{- fail (printf "KafkaTopic %s (%s) has %d partitions, the new values %d: Kafka never removes partitions (Strimzi would leave the topic NotReady and the services would find a count they do not expect). Keep kafka.partitions at %d, or set kafkaChanges.acknowledgePartitionDecrease=true if the topics were recreated on purpose" .object .topic $had (int .partitions) $had) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Topic name -> KafkaTopic object name, for every KafkaTopic of strimzi.cluster in the namespace. */}}
{{- define "hp.topicOwners" -}}
{{- $owners := dict -}}
{{- range $t := (lookup "kafka.strimzi.io/v1" "KafkaTopic" .Release.Namespace "").items | default list -}}
{{- $labels := $t.metadata.labels | default dict -}}
{{- if eq (get $labels "strimzi.io/cluster") $.Values.strimzi.cluster -}}
{{- $_ := set $owners (default $t.metadata.name $t.spec.topicName) $t.metadata.name -}}
{{- end -}}
{{- end -}}
{{- toYaml $owners -}}
{{- end -}}

{{/* A higher kafka.partitions moves interviews to other partitions (murmur2 of the key modulo the count):
refuse it while the interview service's writers run, unless acknowledged. */}}
{{- define "hp.validatePartitionIncrease" -}}
{{- $topic := include "hp.topic" (dict "root" . "name" "interview.commands") -}}
{{- $object := printf "%s-%s" (include "hp.fullname" .) ($topic | lower | replace "." "-" | replace "_" "-") | trunc 253 | trimSuffix "-" -}}
{{- $existing := lookup "kafka.strimzi.io/v1" "KafkaTopic" .Release.Namespace $object -}}
{{- $writers := lookup "apps/v1" "Deployment" .Release.Namespace (printf "%s-interview" (include "hp.fullname" .)) -}}
{{- if and $existing $writers (not .Values.kafkaChanges.acknowledgePartitionIncrease) -}}
{{- $had := int (default 0 $existing.spec.partitions) -}}
{{- $running := add (int (default 0 $writers.spec.replicas)) (int (default 0 $writers.status.replicas)) -}}
{{- if and (gt (int .Values.kafka.partitions) $had) (gt $running 0) -}}
{{- fail (printf "kafka.partitions %d -> %d while the interview service runs: more partitions move interviews to other partitions, so commands in flight would be processed out of order. Scale it to 0 first (interview.replicas=0, no autoscaling), let the decision service catch up, raise kafka.partitions, then scale up again; or set kafkaChanges.acknowledgePartitionIncrease=true (an empty or test system)" $had (int .Values.kafka.partitions)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
