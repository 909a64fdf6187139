// pulumi-language-nodejs (minimal, e2e-only) — a Node.js language host for the e2e tests.
//
// Why this exists: upstream's language host lives in its own, never-tagged Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3). The Go module proxy
// reachable from this project's machines refuses every version of that module (403), so it
// cannot be built here. This host implements only what `pulumi preview/up/refresh/destroy`
// of an already-installed TypeScript program need: it runs
// `node <@pulumi/pulumi>/cmd/run` with the same flags and environment as upstream.
// It also runs Node.js policy packs (RunPlugin, kind "analyzer"): `pulumi preview|up --policy-pack`.
// It does not install dependencies, report required plugins or generate code.
// See docs/e2e.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	pbempty "google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is set with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

// nodeExitBail is the exit code @pulumi/pulumi's cmd/run uses after it has already reported the error.
const nodeExitBail = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func main() {
	h := &host{}
	// The engine passes optional flags (--logtostderr, -v=N, --tracing ADDR, -root=DIR ...) and then
	// the engine address as the last positional argument.
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--tracing" || a == "-tracing" {
			i++
			continue
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		h.engineAddress = a
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "fatal: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "fatal: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// GetRequiredPlugins/Packages report nothing: plugins are registered from files beforehand and
// automatic acquisition is disabled; the engine loads providers when resources need them.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(strings.TrimPrefix(string(out), "v"))}, nil
}

func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest, grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	return status.Error(codes.Unimplemented, "the e2e language host does not install dependencies: run `npm ci` yourself")
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := req.GetPwd()
	rootDir := req.GetPwd()
	entry := req.GetProgram() //nolint:staticcheck // fallback for engines that do not send Info
	var opts map[string]any
	if info != nil {
		if info.GetProgramDirectory() != "" {
			programDir = info.GetProgramDirectory()
		}
		if info.GetRootDirectory() != "" {
			rootDir = info.GetRootDirectory()
		}
		entry = info.GetEntryPoint()
		if info.GetOptions() != nil {
			opts = info.GetOptions().AsMap()
		}
	}
	if entry == "" {
		entry = "."
	}
	program := filepath.Join(programDir, entry)

	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node not found on PATH: %w", err)
	}
	// Resolve @pulumi/pulumi's run script from the program's own node_modules, as upstream does.
	resolve := exec.CommandContext(ctx, node, "-e",
		`process.stdout.write(require.resolve("@pulumi/pulumi/cmd/run", {paths: [process.argv[1]]}))`, programDir)
	resolve.Stderr = os.Stderr
	runPath, err := resolve.Output()
	if err != nil {
		return nil, fmt.Errorf("cannot find @pulumi/pulumi/cmd/run from %s (run `npm ci` first): %w", programDir, err)
	}

	args := []string{}
	if v, ok := opts["nodeargs"].(string); ok && v != "" {
		args = append(args, strings.Fields(v)...)
	}
	args = append(args, string(runPath),
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.engineAddress,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", req.GetPwd(),
		"--root-directory", rootDir,
	)
	if req.GetOrganization() != "" {
		args = append(args, "--organization", req.GetOrganization())
	}
	if req.GetParallel() > 0 {
		args = append(args, "--parallel", strconv.Itoa(int(req.GetParallel())))
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	cfg, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	sk, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfg), "PULUMI_CONFIG_SECRET_KEYS="+string(sk))
	if v, ok := opts["typescript"].(bool); ok && !v {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=false")
	} else {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if v, ok := opts["tsconfig"].(string); ok && v != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+v)
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == nodeExitBail {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with code %d", exitErr.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin runs a Node.js policy pack, as upstream's host does for plugins of kind "analyzer":
// `node <@pulumi/pulumi>/cmd/run-policy-pack <engine address> <pack dir>` in the pack directory,
// @pulumi/pulumi resolved from there, its stdout and stderr streamed to the engine (which reads
// the analyzer's port from the first stdout line). The engine ends it by cancelling the call.
// Other plugin kinds (Node.js resource providers, tools) are not needed by the e2e tests.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	if req.GetKind() != string(apitype.AnalyzerPlugin) {
		return status.Errorf(codes.Unimplemented, "the e2e language host runs policy packs only, not %q plugins", req.GetKind())
	}
	dir := req.GetInfo().GetProgramDirectory()
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("node not found on PATH: %w", err)
	}
	resolve := exec.CommandContext(server.Context(), node, "-e",
		`process.stdout.write(require.resolve("@pulumi/pulumi/cmd/run-policy-pack", {paths: [process.argv[1]]}))`, dir)
	resolve.Stderr = os.Stderr
	runPath, err := resolve.Output()
	if err != nil {
		return fmt.Errorf("cannot find @pulumi/pulumi/cmd/run-policy-pack from %s (run `npm ci` first): %w", dir, err)
	}

	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	// upstream's order for analyzers: the engine's arguments (its address), then the pack directory
	args := append([]string{string(runPath)}, req.GetArgs()...)
	args = append(args, dir)
	cmd := exec.CommandContext(server.Context(), node, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), req.GetEnv()...), "PULUMI_NODEJS_TYPESCRIPT=true")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		if server.Context().Err() != nil {
			return nil // the engine is done with the pack
		}
		return fmt.Errorf("policy pack %s exited: %w", dir, err)
	}
	return closer.Close()
}
