// Command dockerfile-lint runs BuildKit's Dockerfile checks (the rules of `docker build --check`) without a
// Docker engine or a registry: base images are not pulled, their configuration is taken as a plain Linux
// image with the usual PATH. Prints one line per finding; exits 1 if there is any, 2 on a parse error.
//
// Rules can be set in the Dockerfile itself with BuildKit's directive, e.g. `# check=experimental=all`.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	digest "github.com/opencontainers/go-digest"
)

// offlineImages answers every base image with a minimal config instead of asking its registry.
type offlineImages struct{}

func (offlineImages) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	config := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + fmt.Sprintf("%064d", 0)}},
		"config":       map[string]any{"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
	}
	dt, err := json.Marshal(config)
	return ref, "", dt, err
}

func lint(path string) (int, error) {
	dt, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	ctx := context.Background()
	// Findings point into the Dockerfile through a source map, which needs an LLB definition of its own.
	source := llb.Local("dockerfile")
	definition, err := source.Marshal(ctx)
	if err != nil {
		return 0, err
	}
	sourceMap := llb.NewSourceMap(&source, path, "Dockerfile", dt)
	sourceMap.Definition = definition
	opt := dockerfile2llb.ConvertOpt{
		Config:       dockerui.Config{},
		MetaResolver: offlineImages{},
		SourceMap:    sourceMap,
	}
	results, err := dockerfile2llb.DockerfileLint(ctx, dt, opt)
	if err != nil {
		return 0, err
	}
	if results.Error != nil {
		return 0, fmt.Errorf("%s: %s", path, results.Error.Message)
	}
	for _, w := range results.Warnings {
		line := int32(0)
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = w.Location.Ranges[0].Start.Line
		}
		fmt.Printf("%s:%d: %s: %s (%s)\n", path, line, w.RuleName, w.Detail, w.URL)
	}
	return len(results.Warnings), nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dockerfile-lint Dockerfile...")
		os.Exit(2)
	}
	found := 0
	for _, path := range os.Args[1:] {
		n, err := lint(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(2)
		}
		found += n
	}
	if found > 0 {
		os.Exit(1)
	}
	fmt.Printf("%d Dockerfile(s): no findings\n", len(os.Args)-1)
}
