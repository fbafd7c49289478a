{{/* The extension points of values.yaml, applied to every Deployment (and nothing when empty). Each
renders the YAML of one pod-spec field, to be placed with nindent at that field's indentation. */}}

{{- define "hp.initContainers" -}}
{{- with .Values.initContainers -}}
initContainers:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{/* Containers after the service container (a list continued, so no key). */}}
{{- define "hp.sidecars" -}}
{{- with .Values.sidecars -}}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "hp.extraEnvFrom" -}}
{{- with .Values.extraEnvFrom -}}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{/* Mounts after the chart's own (a list continued). */}}
{{- define "hp.extraVolumeMounts" -}}
{{- with .Values.extraVolumeMounts -}}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Volumes after the chart's own (a list continued). */}}
{{- define "hp.extraVolumes" -}}
{{- with .Values.extraVolumes -}}
{{ toYaml . }}
{{- end }}
{{- end -}}
