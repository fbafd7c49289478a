{{/* Names, labels and the checks every template relies on. */}}

{{- define "hp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hp.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "hp.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "hp.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "hp.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "hp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hiring-pipeline
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "interview") */}}
{{- define "hp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hp.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "hp.componentLabels" -}}
{{ include "hp.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "hp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hp.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "hp.image" -}}
{{- $image := .Values.image -}}
{{- $repository := $image.repository -}}
{{- with $image.registry -}}{{- $repository = printf "%s/%s" (trimSuffix "/" .) $repository -}}{{- end -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (default .Chart.AppVersion $image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The KafkaUser (and SASL username) of a component. */}}
{{- define "hp.kafkaUser" -}}
{{- $values := index .root.Values .component -}}
{{- default (printf "%s-%s" (include "hp.fullname" .root) .component) $values.kafkaUser.name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hp.auditUser" -}}
{{- printf "%s-audit" (include "hp.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Kafka names exactly as the services compute them (the settings modules of services/interview and services/decision). */}}
{{- define "hp.topic" -}}
{{- printf "%s%s" .root.Values.kafka.topicPrefix .name -}}
{{- end -}}

{{- define "hp.interviewGroup" -}}
{{- printf "%s%s.interview.commands" .Values.kafka.topicPrefix .Values.interview.config.groupId -}}
{{- end -}}

{{- define "hp.interviewTransactionalPrefix" -}}
{{- printf "%s%s.interview.commands." .Values.kafka.topicPrefix .Values.interview.config.transactionalPrefix -}}
{{- end -}}

{{- define "hp.decisionGroup" -}}
{{- printf "%s%s" .Values.kafka.topicPrefix .Values.decision.config.groupId -}}
{{- end -}}

{{- define "hp.candidacyGroup" -}}
{{- printf "%s.candidacy" (include "hp.decisionGroup" .) -}}
{{- end -}}

{{- define "hp.notaryGroupPrefix" -}}
{{- printf "%s.notary." (include "hp.decisionGroup" .) -}}
{{- end -}}

{{- define "hp.decisionTransactionalPrefix" -}}
{{- printf "%s.interview-events." (include "hp.decisionGroup" .) -}}
{{- end -}}

{{/* Topics are created by the services (INTERVIEW_/DECISION_CREATE_TOPICS) only when no KafkaTopic owns
them; otherwise the services verify them at start (partitions and settings) and exit naming what is wrong. */}}
{{- define "hp.serviceCreatesTopics" -}}
{{- if and .Values.interview.config.createTopics (not .Values.strimzi.topics.enabled) }}true{{ end -}}
{{- end -}}

{{/* The Deployments, as a YAML list (read with fromYamlArray): the interview service, and the decision
service's four roles (ADR 0016, 0026), each its own Deployment. component: the label and name suffix; service:
whose settings, KafkaUser and env prefix it uses; role: the decision role (its values under decision.<role>);
partitioned: it consumes input partitions (replicas beyond kafka.partitions sit idle). */}}
{{- define "hp.workloads" -}}
{{- $out := list -}}
{{- if .Values.interview.enabled -}}
{{- $out = append $out (dict "component" "interview" "service" "interview" "role" "" "command" "serve" "partitioned" true "values" "interview" "replicas" (int .Values.interview.replicas)) -}}
{{- end -}}
{{- if .Values.decision.enabled -}}
{{- range $role := list "projector" "candidacy" "query" "notary" -}}
{{- /* replicas: the role's own, or decision.replicas when the role's is null. */ -}}
{{- $replicas := index (index $.Values.decision $role) "replicas" -}}
{{- if kindIs "invalid" $replicas -}}{{- $replicas = $.Values.decision.replicas -}}{{- end -}}
{{- $out = append $out (dict "component" (printf "decision-%s" $role) "service" "decision" "role" $role "command" $role "partitioned" (ne $role "query") "values" (printf "decision.%s" $role) "replicas" (int $replicas)) -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* Fail early on combinations the schema cannot express. */}}
{{- define "hp.validate" -}}
{{- $partitions := int .Values.kafka.partitions -}}
{{- range $w := include "hp.workloads" $ | fromYamlArray -}}
{{- $s := index $.Values $w.service -}}
{{- $v := $s -}}{{- if $w.role -}}{{- $v = index $s $w.role -}}{{- end -}}
{{- $component := $w.values -}}
{{- if and $v.autoscaling.enabled $v.keda.enabled -}}
{{- fail (printf "%s: autoscaling.enabled and keda.enabled exclude each other (KEDA creates its own HorizontalPodAutoscaler)" $component) -}}
{{- end -}}
{{- if and (eq $w.role "notary") $v.keda.enabled -}}
{{- fail "decision.notary.keda: the notary reads three topics in three groups; scale it with replicas (at most kafka.partitions)" -}}
{{- end -}}
{{- if and (not $w.partitioned) $v.keda.enabled -}}
{{- fail (printf "%s.keda: the query service owns no partition and has no lag; scale it with autoscaling (CPU) or replicas" $component) -}}
{{- end -}}
{{- range $kind := list "autoscaling" "keda" -}}
{{- $a := index $v $kind -}}
{{- if and $w.partitioned $a.enabled (gt (int $a.maxReplicas) $partitions) -}}
{{- fail (printf "%s.%s.maxReplicas=%d exceeds kafka.partitions=%d: consumers beyond the partition count get no partition and sit idle" $component $kind (int $a.maxReplicas) $partitions) -}}
{{- end -}}
{{- if and $a.enabled (gt (int $a.minReplicas) (int $a.maxReplicas)) -}}
{{- fail (printf "%s.%s.minReplicas is above maxReplicas" $component $kind) -}}
{{- end -}}
{{- end -}}
{{- if and $w.partitioned (gt (int $w.replicas) $partitions) -}}
{{- fail (printf "%s.replicas=%d exceeds kafka.partitions=%d: consumers beyond the partition count sit idle" $component (int $w.replicas) $partitions) -}}
{{- end -}}
{{- $needed := addf $v.preStopSleepSeconds $s.config.shutdownGraceSeconds 5 -}}
{{- if le (float64 $v.terminationGracePeriodSeconds) $needed -}}
{{- fail (printf "%s.terminationGracePeriodSeconds=%d must exceed preStopSleepSeconds + config.shutdownGraceSeconds + 5 s (HTTP drain, leaving the group) = %v" $component (int $v.terminationGracePeriodSeconds) $needed) -}}
{{- end -}}
{{- end -}}
{{- $t := .Values.decision.tlog -}}
{{- if and .Values.decision.enabled (not $t.insecureDevKey) (or (not $t.keySecret.name) (not $t.verifierKeys)) -}}
{{- fail "decision.tlog: set keySecret.name (the notary's signing keys) and verifierKeys (docs/security.md, ADR 0026); decision.tlog.insecureDevKey=true signs with a public development key (development only)" -}}
{{- end -}}
{{- if and $t.insecureDevKey $t.keySecret.name -}}
{{- fail "decision.tlog: insecureDevKey and keySecret exclude each other" -}}
{{- end -}}
{{- if and .Values.kafka.saslMechanism (not (hasPrefix "SASL_" .Values.kafka.securityProtocol)) -}}
{{- fail "kafka.saslMechanism is set but kafka.securityProtocol is not SASL_PLAINTEXT or SASL_SSL" -}}
{{- end -}}
{{- if and (hasPrefix "SASL_" .Values.kafka.securityProtocol) (not .Values.kafka.saslMechanism) -}}
{{- fail "kafka.securityProtocol is SASL_*: set kafka.saslMechanism" -}}
{{- end -}}
{{- if and .Values.strimzi.users.enabled (eq .Values.strimzi.users.authentication "scram-sha-512") (ne .Values.kafka.saslMechanism "SCRAM-SHA-512") -}}
{{- fail "strimzi.users.authentication=scram-sha-512 needs kafka.saslMechanism=SCRAM-SHA-512" -}}
{{- end -}}
{{- if and .Values.strimzi.users.enabled (eq .Values.strimzi.users.authentication "tls") (ne .Values.kafka.securityProtocol "SSL") -}}
{{- fail "strimzi.users.authentication=tls needs kafka.securityProtocol=SSL (client certificates)" -}}
{{- end -}}
{{- end -}}

{{/* Does a component authenticate with a client certificate? */}}
{{- define "hp.usesClientCert" -}}
{{- $v := index .root.Values .component -}}
{{- if or $v.kafkaUser.certificateSecret.name (and .root.Values.strimzi.users.enabled (eq .root.Values.strimzi.users.authentication "tls")) }}true{{ end -}}
{{- end -}}

{{/* KAFKA_* environment of a component's container: (dict "root" $ "component" "interview"). */}}
{{- define "hp.kafkaEnv" -}}
{{- $k := .root.Values.kafka -}}
{{- $v := index .root.Values .component -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ $k.bootstrapServers | quote }}
- name: KAFKA_SECURITY_PROTOCOL
  value: {{ $k.securityProtocol | quote }}
- name: KAFKA_TOPIC_PREFIX
  value: {{ $k.topicPrefix | quote }}
- name: KAFKA_PARTITIONS
  value: {{ $k.partitions | quote }}
- name: KAFKA_REPLICATION_FACTOR
  value: {{ $k.replicationFactor | quote }}
{{- if $k.saslMechanism }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $k.saslMechanism | quote }}
- name: KAFKA_SASL_USERNAME
  value: {{ include "hp.kafkaUser" . | quote }}
# The password Secret is mounted as files (never an environment value); the services read this file.
- name: KAFKA_SASL_PASSWORD_FILE
  value: /etc/hiring-pipeline/kafka-password/{{ $v.kafkaUser.passwordSecret.key }}
{{- end }}
{{- if $k.tls.caSecret.name }}
- name: KAFKA_SSL_CAFILE
  value: /etc/hiring-pipeline/kafka-ca/{{ $k.tls.caSecret.key }}
{{- end }}
{{- if include "hp.usesClientCert" . }}
- name: KAFKA_SSL_CERTFILE
  value: /etc/hiring-pipeline/kafka-user/user.crt
- name: KAFKA_SSL_KEYFILE
  value: /etc/hiring-pipeline/kafka-user/user.key
{{- end }}
{{- end -}}

{{/* Bearer token verification (AUTH_*): the same for both services. */}}
{{- define "hp.authEnv" -}}
{{- $a := .Values.auth -}}
{{- if $a.insecureDevNoAuth }}
- name: AUTH_INSECURE_DEV_NO_AUTH
  value: "true"
{{- else }}
- name: AUTH_ISSUER
  value: {{ $a.issuer | quote }}
- name: AUTH_AUDIENCE
  value: {{ $a.audience | quote }}
{{- if $a.jwksUrl }}
- name: AUTH_JWKS_URL
  value: {{ $a.jwksUrl | quote }}
{{- else }}
- name: AUTH_JWKS_FILE
  value: {{ printf "/etc/hiring-pipeline/jwks/%s" $a.jwksConfigMap.key | quote }}
{{- end }}
- name: AUTH_ALGORITHMS
  value: {{ $a.algorithms | quote }}
- name: AUTH_LEEWAY_S
  value: {{ $a.leewaySeconds | quote }}
{{- end }}
{{- end -}}

{{/* Whether the JWKS comes from a mounted ConfigMap. */}}
{{- define "hp.jwksMounted" -}}
{{- if and (not .Values.auth.insecureDevNoAuth) (not .Values.auth.jwksUrl) -}}true{{- end -}}
{{- end -}}

{{- define "hp.validateAuth" -}}
{{- $a := .Values.auth -}}
{{- if not $a.insecureDevNoAuth -}}
{{- if or (not $a.issuer) (not $a.audience) -}}
{{- fail "auth.issuer and auth.audience are required (docs/security.md); auth.insecureDevNoAuth=true serves without authentication (development only)" -}}
{{- end -}}
{{- if and (not $a.jwksUrl) (not $a.jwksConfigMap.name) -}}
{{- fail "auth: set auth.jwksUrl or auth.jwksConfigMap.name (the token issuer's public keys)" -}}
{{- end -}}
{{- if and $a.jwksUrl $a.jwksConfigMap.name -}}
{{- fail "auth: set auth.jwksUrl or auth.jwksConfigMap.name, not both" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* DECISION_TLOG_* of a decision role (ADR 0026): (dict "root" $ "role" "notary"). The signing key file
only in the notary; the verifier keys in every role (the query role serves and checks them). */}}
{{- define "hp.tlogEnv" -}}
{{- $t := .root.Values.decision.tlog -}}
- name: DECISION_TLOG_INTERVAL_S
  value: {{ $t.intervalSeconds | quote }}
{{- with $t.origin }}
- name: DECISION_TLOG_ORIGIN
  value: {{ . | quote }}
{{- end }}
{{- if $t.insecureDevKey }}
- name: DECISION_TLOG_INSECURE_DEV_KEY
  value: "true"
{{- else }}
- name: DECISION_TLOG_VERIFIER_KEYS
  value: {{ join "," $t.verifierKeys | quote }}
{{- if eq .role "notary" }}
- name: DECISION_TLOG_KEY_FILE
  value: {{ printf "/etc/hiring-pipeline/tlog/%s" $t.keySecret.key | quote }}
{{- end }}
{{- end }}
{{- end -}}
