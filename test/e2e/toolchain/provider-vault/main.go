// pulumi-resource-vault for the e2e tests — a Terraform-bridge provider around the unmodified
// upstream terraform-provider-vault, answering to the same resource tokens as @pulumi/vault.
//
// Why not upstream's: the Go module proxy reachable from this project's machines refuses every
// version of github.com/pulumi/pulumi-vault/provider/v7 (and pulumi-terraform-bridge v3.125.0,
// which 7.8.0 uses), so upstream's cmd/pulumi-resource-vault cannot be built here. This main wires
// what upstream's resources.go wires, restricted to the resources and data sources that
// gitops-platform uses (tokens copied from @pulumi/vault 7.8.0's SDK). Property names are derived by
// the bridge from the Terraform schema exactly as for upstream. The Pulumi schema it serves is a
// stub: the engine does not need it for preview/up/refresh/destroy. See docs/e2e.md.
package main

import (
	"github.com/hashicorp/terraform-provider-vault/vault"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// version is set with -ldflags "-X main.version=..." to the @pulumi/vault SDK version.
var version = "7.8.0"

// resources maps Terraform resource names to the tokens of @pulumi/vault.
var resources = map[string]string{
	"vault_auth_backend":                   "vault:index/authBackend:AuthBackend",
	"vault_mount":                          "vault:index/mount:Mount",
	"vault_policy":                         "vault:index/policy:Policy",
	"vault_kubernetes_auth_backend_config": "vault:kubernetes/authBackendConfig:AuthBackendConfig",
	"vault_kubernetes_auth_backend_role":   "vault:kubernetes/authBackendRole:AuthBackendRole",
	"vault_kv_secret_v2":                   "vault:kv/secretV2:SecretV2",
	"vault_kv_secret_backend_v2":           "vault:kv/secretBackendV2:SecretBackendV2",
	"vault_generic_secret":                 "vault:generic/secret:Secret",
}

var dataSources = map[string]string{
	"vault_kv_secret_v2":                   "vault:kv/getSecretV2:getSecretV2",
	"vault_policy_document":                "vault:index/getPolicyDocument:getPolicyDocument",
	"vault_kubernetes_auth_backend_config": "vault:kubernetes/getAuthBackendConfig:getAuthBackendConfig",
}

func main() {
	info := tfbridge.ProviderInfo{
		P:           shimv2.NewProvider(vault.Provider()),
		Name:        "vault",
		Version:     version,
		GitHubOrg:   "hashicorp",
		Resources:   map[string]*tfbridge.ResourceInfo{},
		DataSources: map[string]*tfbridge.DataSourceInfo{},
		Config: map[string]*tfbridge.SchemaInfo{
			"token": {Secret: tfbridge.True()},
		},
	}
	for tf, tok := range resources {
		info.Resources[tf] = &tfbridge.ResourceInfo{Tok: tokens.Type(tok)}
	}
	for tf, tok := range dataSources {
		info.DataSources[tf] = &tfbridge.DataSourceInfo{Tok: tokens.ModuleMember(tok)}
	}
	schema := []byte(`{"name":"vault","version":"` + version + `"}`)
	tfbridge.Main("vault", version, info, schema)
}
