package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// platform is how one kind of binary is cross-compiled. Every binary gets
// -trimpath and -ldflags="-s -w" (no paths of the build machine, no symbol
// tables) and CGO_ENABLED=0 (static, so it runs on any Linux base image).
type platform struct {
	GOOS, GOARCH string
	Tags         string
}

// lambdaPlatform is the single definition of how a Lambda bootstrap is
// built: provided.al2023 on Graviton; lambda.norpc drops the RPC mode that
// only the retired go1.x runtime used.
func lambdaPlatform() platform { return platform{GOOS: "linux", GOARCH: "arm64", Tags: "lambda.norpc"} }

// azurePlatform is the Azure Functions custom handler's: Linux plans run
// x86-64 workers.
func azurePlatform() platform { return platform{GOOS: "linux", GOARCH: "amd64"} }

// goBuildArgs are the go build flags shared by every artifact.
func (p platform) goBuildArgs(out, pkg string) []string {
	args := []string{"build", "-trimpath", "-ldflags=-s -w"}
	if p.Tags != "" {
		args = append(args, "-tags", p.Tags)
	}
	return append(args, "-o", out, pkg)
}

func (p platform) env() []string {
	return append(os.Environ(), "GOOS="+p.GOOS, "GOARCH="+p.GOARCH, "CGO_ENABLED=0", "GOWORK=off")
}

// lambdaTarget is one Lambda function's main package.
type lambdaTarget struct {
	Name string // dist/lambda/<Name>.zip, and what -bootstrap takes
	Pkg  string // relative to the module root
}

func lambdaTargets() []lambdaTarget {
	return []lambdaTarget{
		{Name: "api", Pkg: "./functions/api"},
		{Name: "pricing", Pkg: "./functions/pricing"},
		{Name: "retrain", Pkg: "./functions/retrain"},
		{Name: "finops", Pkg: "./functions/finops"},
		{Name: "sample", Pkg: "./functions/samples/aws"},
	}
}

func lambdaTargetNamed(name string) (lambdaTarget, error) {
	var names []string
	for _, t := range lambdaTargets() {
		if t.Name == name {
			return t, nil
		}
		names = append(names, t.Name)
	}
	return lambdaTarget{}, fmt.Errorf("no Lambda function %q (have %s)", name, strings.Join(names, ", "))
}

// Paths inside the module of what the Azure and GCP packages are made from.
const (
	azureSampleDir = "functions/samples/azure"
	gcpSamplePkg   = "./functions/samples/gcp"
)

// builder builds the artifacts of the module at root.
type builder struct {
	goCmd string
	root  string
	mtime time.Time
}

func newBuilder(ctx context.Context, goCmd string, mtime time.Time) (*builder, error) {
	out, err := exec.CommandContext(ctx, goCmd, "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("find the module root with %s env GOMOD: %w", goCmd, err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return nil, fmt.Errorf("run fisobuild inside the FISO module (go env GOMOD is %q)", gomod)
	}
	return &builder{goCmd: goCmd, root: filepath.Dir(gomod), mtime: mtime}, nil
}

// goBuild compiles pkg for p into out.
func (b *builder) goBuild(ctx context.Context, p platform, pkg, out string) error {
	cmd := exec.CommandContext(ctx, b.goCmd, p.goBuildArgs(out, pkg)...)
	cmd.Dir = b.root
	cmd.Env = p.env()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s for %s/%s: %w\n%s", pkg, p.GOOS, p.GOARCH, err, stderr.Bytes())
	}
	return nil
}

// bootstrap builds the named Lambda's executable as dir/bootstrap.
func (b *builder) bootstrap(ctx context.Context, name, dir string) error {
	t, err := lambdaTargetNamed(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", dir, err)
	}
	return b.goBuild(ctx, lambdaPlatform(), t.Pkg, filepath.Join(dir, "bootstrap"))
}

// all builds every artifact into dist and returns their paths, in the order
// they are listed.
func (b *builder) all(ctx context.Context, dist string) ([]string, error) {
	dist, err := filepath.Abs(dist)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", dist, err)
	}
	work, err := os.MkdirTemp("", "fisobuild-")
	if err != nil {
		return nil, fmt.Errorf("create a work folder: %w", err)
	}
	defer os.RemoveAll(work)

	var artifacts []string
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(3)
	for _, t := range lambdaTargets() {
		zipPath := filepath.Join(dist, "lambda", t.Name+".zip")
		artifacts = append(artifacts, zipPath)
		g.Go(func() error {
			bin := filepath.Join(work, "lambda-"+t.Name)
			if err := b.goBuild(gctx, lambdaPlatform(), t.Pkg, bin); err != nil {
				return err
			}
			return writeZip(zipPath, []zipEntry{{Name: "bootstrap", Mode: 0o755, Src: bin}}, b.mtime)
		})
	}
	azureZip := filepath.Join(dist, "azure", "sample.zip")
	gcpZip := filepath.Join(dist, "gcp", "sample-source.zip")
	artifacts = append(artifacts, azureZip, gcpZip)
	g.Go(func() error { return b.azurePackage(gctx, work, azureZip) })
	g.Go(func() error { return b.gcpBundle(gctx, gcpZip) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return artifacts, nil
}
