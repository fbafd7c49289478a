//go:build tools

// Package tools pins the Kubernetes commands this module builds.
package tools

import (
	// etcd 3.7: kube-apiserver 1.37 needs its watch progress notifications (older etcd wheels lack them).
	_ "go.etcd.io/etcd/server/v3"

	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
