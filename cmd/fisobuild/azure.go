package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
)

// hostJSON is the part of host.json that names the custom handler's
// executable.
type hostJSON struct {
	CustomHandler struct {
		Description struct {
			DefaultExecutablePath string `json:"defaultExecutablePath"`
		} `json:"description"`
	} `json:"customHandler"`
}

// azurePackage builds the Azure Functions custom-handler package: host.json
// at the root, every <function>/function.json, and the handler executable
// under the name host.json gives it (defaultExecutablePath), so the two
// cannot disagree.
func (b *builder) azurePackage(ctx context.Context, work, dst string) error {
	src := filepath.Join(b.root, filepath.FromSlash(azureSampleDir))
	host, err := os.ReadFile(filepath.Join(src, "host.json"))
	if err != nil {
		return fmt.Errorf("read the Azure sample's host.json: %w", err)
	}
	exe, err := handlerName(host)
	if err != nil {
		return err
	}
	functions, err := filepath.Glob(filepath.Join(src, "*", "function.json"))
	if err != nil {
		return fmt.Errorf("find the Azure sample's function.json files: %w", err)
	}
	if len(functions) == 0 {
		return fmt.Errorf("no */function.json in %s", azureSampleDir)
	}
	bin := filepath.Join(work, "azure-handler")
	if err := b.goBuild(ctx, azurePlatform(), "./"+azureSampleDir, bin); err != nil {
		return err
	}
	entries := []zipEntry{
		{Name: "host.json", Mode: 0o644, Data: host},
		{Name: exe, Mode: 0o755, Src: bin},
	}
	for _, f := range functions {
		name := path.Join(filepath.Base(filepath.Dir(f)), "function.json")
		entries = append(entries, zipEntry{Name: name, Mode: 0o644, Src: f})
	}
	return writeZip(dst, entries, b.mtime)
}

// handlerName returns the executable host.json starts, which must sit at the
// package root.
func handlerName(host []byte) (string, error) {
	var h hostJSON
	if err := json.Unmarshal(host, &h); err != nil {
		return "", fmt.Errorf("parse the Azure sample's host.json: %w", err)
	}
	exe := h.CustomHandler.Description.DefaultExecutablePath
	if exe == "" {
		return "", errors.New("the Azure sample's host.json has no customHandler.description.defaultExecutablePath")
	}
	if path.Base(exe) != exe || exe == "." || exe == ".." {
		return "", fmt.Errorf("host.json's defaultExecutablePath %q must be a file name at the package root", exe)
	}
	return exe, nil
}
