// pulumi-resource-kubernetes for the e2e tests.
//
// Upstream's cmd/pulumi-resource-kubernetes/main.go embeds schema-embed.json and
// terraform-mapping-embed.json, which are generated (go:generate) and gitignored upstream, so that
// package does not compile from the module zip. This main does what upstream's main does; the two
// embed files are produced next to it by scripts/e2e/toolchain.sh from the module's committed
// schema.json / terraform-mapping.json (with "version" set) and are gitignored here too.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
