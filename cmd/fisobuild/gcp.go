package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// frameworkModule is the Functions Framework for Go. Cloud Functions
// generates a main package that imports it; pinning it in the bundle's
// go.mod keeps the build from injecting a version of its own (which an
// organisation policy may forbid).
const frameworkModule = "github.com/GoogleCloudPlatform/functions-framework-go"

// bundleRoot is the bundle's root package. Cloud Functions builds the
// package at the module root and calls the entry point by name
// (--entry-point=Sample), so the root re-exports the sample's. Its name must
// not be that of a folder at the bundle root (functions/): the buildpack
// would look for the function there.
const bundleRoot = `// Package fiso is the root of FISO's Cloud Functions source bundle, written
// by cmd/fisobuild: Cloud Functions builds the package at the module root and
// calls its entry point by name, so this re-exports the GCP sample's.
package fiso

import (
	"net/http"

	"github.com/fiso-dev/fiso/functions/samples/gcp"
)

// Sample is the HTTP entry point: deploy with --entry-point=Sample.
func Sample(w http.ResponseWriter, r *http.Request) { gcp.Sample(w, r) }
`

// listedPackage is what go list -json says of a package.
type listedPackage struct {
	ImportPath string
	Dir        string
	Standard   bool
	GoFiles    []string
	EmbedFiles []string
	Module     *listedModule
}

type listedModule struct {
	Path    string
	Version string
	Main    bool
	Replace *listedModule
}

// gcpBundle writes the GCP sample's source bundle: a module with this
// module's path holding only the packages the sample imports (no tests, no
// testdata), a root package with the entry point, and a go.mod and go.sum
// that pin the sample's dependencies and the Functions Framework at the
// versions this module builds with. Tidying it may need the module proxy.
func (b *builder) gcpBundle(ctx context.Context, dst string) error {
	stage, err := os.MkdirTemp("", "fisobuild-gcp-")
	if err != nil {
		return fmt.Errorf("create the GCP bundle's staging folder: %w", err)
	}
	defer os.RemoveAll(stage)

	env := append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOWORK=off")
	out, err := b.goOutput(ctx, b.root, env, "list", "-deps", "-json", gcpSamplePkg)
	if err != nil {
		return err
	}
	pkgs, err := decodePackages(out)
	if err != nil {
		return err
	}
	requires := map[string]string{}
	for _, p := range pkgs {
		switch {
		case p.Standard:
		case p.Module == nil:
			return fmt.Errorf("package %s belongs to no module", p.ImportPath)
		case p.Module.Main:
			if err := copyPackage(b.root, stage, p); err != nil {
				return err
			}
		default:
			m := *p.Module
			if m.Replace != nil {
				if m.Replace.Version == "" {
					return fmt.Errorf("package %s comes from a local replacement (%s), which a source bundle cannot carry", p.ImportPath, m.Replace.Path)
				}
				m = *m.Replace
			}
			requires[m.Path] = m.Version
		}
	}
	fw, err := b.goOutput(ctx, b.root, env, "list", "-m", "-f", "{{.Version}}", frameworkModule)
	if err != nil {
		return err
	}
	fwVersion := strings.TrimSpace(string(fw))

	goMod, err := b.bundleGoMod(ctx, env)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(stage, "go.mod"), goMod, 0o644); err != nil {
		return fmt.Errorf("write the GCP bundle's go.mod: %w", err)
	}
	if err := os.WriteFile(filepath.Join(stage, "function.go"), []byte(bundleRoot), 0o644); err != nil {
		return fmt.Errorf("write the GCP bundle's root package: %w", err)
	}
	// The sample's imports are pinned and tidied; the framework comes last,
	// as go mod tidy would drop it: only the main package Cloud Functions
	// generates imports it.
	pin := []string{"mod", "edit"}
	for _, m := range slices.Sorted(maps.Keys(requires)) {
		pin = append(pin, "-require="+m+"@"+requires[m])
	}
	steps := [][]string{{"mod", "tidy"}, {"get", frameworkModule + "@" + fwVersion}}
	if len(requires) > 0 {
		steps = slices.Insert(steps, 0, pin)
	}
	modEnv := append(slices.Clone(env), "GOFLAGS=-mod=mod")
	for _, args := range steps {
		if _, err := b.goOutput(ctx, stage, modEnv, args...); err != nil {
			return fmt.Errorf("pin the GCP bundle's requirements: %w", err)
		}
	}
	// go get may record the local toolchain; the runtime's own must do.
	if _, err := b.goOutput(ctx, stage, env, "mod", "edit", "-toolchain=none"); err != nil {
		return err
	}
	entries, err := stagedEntries(stage)
	if err != nil {
		return err
	}
	return writeZip(dst, entries, b.mtime)
}

// bundleGoMod is the bundle's go.mod before its requirements: this module's
// path, and its go version at patch level 0 so any patch release of the
// same Cloud Functions Go runtime builds it without fetching a toolchain.
func (b *builder) bundleGoMod(ctx context.Context, env []string) ([]byte, error) {
	out, err := b.goOutput(ctx, b.root, env, "mod", "edit", "-json")
	if err != nil {
		return nil, err
	}
	var mod struct {
		Module struct{ Path string }
		Go     string
	}
	if err := json.Unmarshal(out, &mod); err != nil {
		return nil, fmt.Errorf("read go.mod: %w", err)
	}
	parts := strings.SplitN(mod.Go, ".", 3)
	if len(parts) < 2 {
		return nil, fmt.Errorf("go.mod's go version %q is not major.minor[.patch]", mod.Go)
	}
	return fmt.Appendf(nil, "module %s\n\ngo %s.%s.0\n", mod.Module.Path, parts[0], parts[1]), nil
}

func (b *builder) goOutput(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, b.goCmd, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

func decodePackages(out []byte) ([]listedPackage, error) {
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return pkgs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read go list's packages: %w", err)
		}
		pkgs = append(pkgs, p)
	}
}

// copyPackage copies the files that build p (its Go files for linux/amd64
// and embedded files, never tests) from the module at root into stage.
func copyPackage(root, stage string, p listedPackage) error {
	rel, err := filepath.Rel(root, p.Dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("package %s (%s) is outside the module root %s", p.ImportPath, p.Dir, root)
	}
	for _, f := range slices.Concat(p.GoFiles, p.EmbedFiles) {
		data, err := os.ReadFile(filepath.Join(p.Dir, f))
		if err != nil {
			return fmt.Errorf("read %s of %s: %w", f, p.ImportPath, err)
		}
		to := filepath.Join(stage, rel, f)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(to), err)
		}
		if err := os.WriteFile(to, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", to, err)
		}
	}
	return nil
}

// stagedEntries lists every file under stage as a zip entry.
func stagedEntries(stage string) ([]zipEntry, error) {
	var entries []zipEntry
	err := filepath.WalkDir(stage, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(stage, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		entries = append(entries, zipEntry{Name: filepath.ToSlash(rel), Mode: 0o644, Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the GCP bundle's files: %w", err)
	}
	return entries, nil
}
