//go:build tools

// Package tools pins the Pulumi CLI main package built by scripts/e2e/toolchain.sh.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
