package main

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type unzipped struct {
	Mode     fs.FileMode
	Modified time.Time
	Data     string
}

func readZip(t *testing.T, path string) (names []string, files map[string]unzipped) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer zr.Close()
	files = map[string]unzipped{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("open %s in %s: %v", f.Name, path, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s in %s: %v", f.Name, path, err)
		}
		names = append(names, f.Name)
		files[f.Name] = unzipped{Mode: f.Mode(), Modified: f.Modified.UTC(), Data: string(data)}
	}
	return names, files
}

func TestWriteZipIsReproducible(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "exe")
	if err := os.WriteFile(src, []byte("#!/bin/sh\necho hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	entries := []zipEntry{
		{Name: "sample/function.json", Mode: 0o644, Data: []byte(`{"bindings":[]}`)},
		{Name: "handler", Mode: 0o755, Src: src},
		{Name: "host.json", Mode: 0o644, Data: []byte(`{"version":"2.0"}`)},
	}
	first, second := filepath.Join(dir, "a", "first.zip"), filepath.Join(dir, "second.zip")
	if err := writeZip(first, entries, mtime); err != nil {
		t.Fatal(err)
	}
	// The source file's own time and mode must not leak into the zip.
	if err := os.Chtimes(src, time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := writeZip(second, []zipEntry{entries[2], entries[0], entries[1]}, mtime); err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("the same entries in another order gave different zips (%d and %d bytes)", len(a), len(b))
	}

	names, files := readZip(t, first)
	if diff := cmp.Diff([]string{"handler", "host.json", "sample/function.json"}, names); diff != "" {
		t.Errorf("entry order (-want +got):\n%s", diff)
	}
	want := map[string]unzipped{
		"handler":              {Mode: 0o755, Modified: mtime, Data: "#!/bin/sh\necho hi\n"},
		"host.json":            {Mode: 0o644, Modified: mtime, Data: `{"version":"2.0"}`},
		"sample/function.json": {Mode: 0o644, Modified: mtime, Data: `{"bindings":[]}`},
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "a", ".*")); len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestWriteZipLeavesNoArtifactOnFailure(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "broken.zip")
	err := writeZip(dst, []zipEntry{{Name: "bootstrap", Mode: 0o755, Src: filepath.Join(t.TempDir(), "missing")}}, time.Unix(315532800, 0))
	if err == nil {
		t.Fatal("writeZip with a missing source succeeded")
	}
	if !strings.Contains(err.Error(), "bootstrap") {
		t.Errorf("error %q does not name the entry", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dst)); len(entries) != 0 {
		t.Errorf("files left after a failed write: %v", entries)
	}
}

func TestSourceDate(t *testing.T) {
	for _, tc := range []struct {
		epoch   string
		want    time.Time
		wantErr bool
	}{
		{epoch: "", want: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)},
		{epoch: "1795684502", want: time.Date(2026, 11, 26, 9, 15, 2, 0, time.UTC)},
		{epoch: "100", wantErr: true}, // before 1980: zip cannot hold it
		{epoch: "yesterday", wantErr: true},
	} {
		t.Run(tc.epoch, func(t *testing.T) {
			got, err := sourceDate(tc.epoch)
			if (err != nil) != tc.wantErr {
				t.Fatalf("sourceDate(%q) error = %v, want error %v", tc.epoch, err, tc.wantErr)
			}
			if !got.Equal(tc.want) {
				t.Errorf("sourceDate(%q) = %v, want %v", tc.epoch, got, tc.want)
			}
		})
	}
}

func TestPrintSizes(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for name, size := range map[string]int{"lambda/api.zip": 3 << 20, "gcp/sample-source.zip": 1000} {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := printSizes(&out, []string{filepath.Join(dir, "lambda/api.zip"), filepath.Join(dir, "gcp/sample-source.zip")}); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"artifact                      bytes       MiB\n" +
		"lambda/api.zip              3145728      3.00\n" +
		"gcp/sample-source.zip          1000      0.00\n" +
		"total                       3146728      3.00\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	if err := printSizes(&out, []string{filepath.Join(dir, "missing.zip")}); err == nil {
		t.Error("printSizes of a missing artifact succeeded")
	}
}
