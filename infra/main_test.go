package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain needs node: the CDK's Go bindings run its JavaScript there. A
// machine without it skips these tests, except in CI, where that is a hole.
func TestMain(m *testing.M) {
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "node is not installed: the CDK tests need it (CI=true, so this fails)")
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "skipping the CDK tests: node is not installed")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRun synthesizes the whole app as make synth does and checks that the
// settings reach the templates.
func TestRun(t *testing.T) {
	artifacts := t.TempDir()
	if err := os.MkdirAll(filepath.Join(artifacts, "lambda"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"api", "pricing", "retrain", "finops", "sample"} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		if _, err := zw.Create("bootstrap"); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(artifacts, "lambda", name+".zip"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		name string
		env  map[string]string
		// want are strings the control plane template holds; wantErr a part
		// of the error instead.
		want    []string
		wantErr string
	}{
		{
			name: "defaults",
			want: []string{`"RetentionInDays": 30`, `"FISO_LOG_RETENTION_DAYS": "30"`, `"TableName": "fiso-config"`},
		},
		{
			name: "settings from the environment",
			env:  map[string]string{"FISO_CDK_LOG_RETENTION": "14", "FISO_LOG_RETENTION_DAYS": "90", "FISO_ALARM_EMAIL": "ops@example.com"},
			want: []string{`"RetentionInDays": 14`, `"FISO_LOG_RETENTION_DAYS": "90"`, `"Endpoint": "ops@example.com"`},
		},
		{
			name:    "a retention CloudWatch does not offer",
			env:     map[string]string{"FISO_CDK_LOG_RETENTION": "31"},
			wantErr: "log retention of 31 days",
		},
		{
			name:    "no artifacts",
			env:     map[string]string{"FISO_ARTIFACTS_DIR": t.TempDir()},
			wantErr: "run make build first",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outdir := t.TempDir()
			env := map[string]string{"CDK_OUTDIR": outdir, "FISO_ARTIFACTS_DIR": artifacts}
			for k, v := range tc.env {
				env[k] = v
			}
			var stdout bytes.Buffer
			err := run(func(k string) string { return env[k] }, &stdout)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			listed := strings.Fields(stdout.String())
			wantListed := []string{filepath.Join(outdir, "FisoControlPlane.template.json"), filepath.Join(outdir, "FisoSampleWorkload.template.json")}
			if strings.Join(listed, " ") != strings.Join(wantListed, " ") {
				t.Errorf("listed templates: got %v, want %v", listed, wantListed)
			}
			for _, path := range wantListed {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !json.Valid(b) {
					t.Errorf("%s is not JSON", path)
				}
			}
			b, _ := os.ReadFile(wantListed[0])
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("control plane template lacks %s", w)
				}
			}
		})
	}
}
