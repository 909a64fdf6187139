//go:build tools

// Package tools pins the main package built by scripts/e2e/toolchain.sh.
package tools

import _ "github.com/openbao/openbao"
