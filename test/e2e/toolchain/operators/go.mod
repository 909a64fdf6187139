// Controllers the e2e runs against the local kube-apiserver and OpenBao (scripts/e2e/toolchain.sh
// builds each in its own module root, so the module's own replace directives apply):
//   - Vault Secrets Operator v1.5.0: the newest release the Go module proxy serves (v1.4.1's zip
//     is refused); its module also carries the chart and CRDs of that version.
//   - Argo CD v3.2.6: one binary (argocd) whose name picks the component; the e2e runs it as
//     argocd-applicationset-controller. 3.3+ cannot be built from the module zip (docs/e2e.md).
// Both are built and run at test time only, never committed or shipped.
module gitops-platform/e2e/toolchain/operators

go 1.26.5

require (
	github.com/argoproj/argo-cd/v3 v3.2.6
	github.com/hashicorp/vault-secrets-operator v1.5.0
)
