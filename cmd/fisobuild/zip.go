package main

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// zipEntry is one file of an artifact: the bytes of Src, or Data when Src
// is empty.
type zipEntry struct {
	Name string // slash-separated path inside the zip
	Mode fs.FileMode
	Src  string
	Data []byte
}

// writeZip writes entries to dst, sorted by name, every one with mtime and
// its Unix mode, so the same inputs give the same bytes. It writes a
// temporary file first: a failed build never leaves a truncated artifact.
func writeZip(dst string, entries []zipEntry, mtime time.Time) (err error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(dst), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*")
	if err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	zw := zip.NewWriter(tmp)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b zipEntry) int { return strings.Compare(a.Name, b.Name) })
	for _, e := range entries {
		if err := addEntry(zw, e, mtime); err != nil {
			return fmt.Errorf("write %s into %s: %w", e.Name, dst, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", dst, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", dst, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("move %s into place: %w", dst, err)
	}
	return nil
}

func addEntry(zw *zip.Writer, e zipEntry, mtime time.Time) error {
	h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: mtime}
	h.SetMode(e.Mode)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	if e.Src == "" {
		_, err = w.Write(e.Data)
		return err
	}
	f, err := os.Open(e.Src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// printSizes writes the artifact table that `make build` ends with.
func printSizes(w io.Writer, paths []string) error {
	type row struct {
		name string
		size int64
	}
	rows := make([]row, 0, len(paths)+1)
	width := len("artifact")
	var total int64
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("size of %s: %w", p, err)
		}
		rows = append(rows, row{displayPath(p), fi.Size()})
		width = max(width, len(rows[len(rows)-1].name))
		total += fi.Size()
	}
	rows = append(rows, row{"total", total})
	if _, err := fmt.Fprintf(w, "%-*s  %12s  %8s\n", width, "artifact", "bytes", "MiB"); err != nil {
		return fmt.Errorf("print sizes: %w", err)
	}
	for _, r := range rows {
		if _, err := fmt.Fprintf(w, "%-*s  %12d  %8.2f\n", width, r.name, r.size, mib(r.size)); err != nil {
			return fmt.Errorf("print sizes: %w", err)
		}
	}
	return nil
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// displayPath shows p relative to the working folder when it is below it.
func displayPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}
