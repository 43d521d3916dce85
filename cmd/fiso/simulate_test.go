package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The sample of Microsoft's 2019 trace kept in the repository (see its
// README for the source and attribution).
const sampleTrace = "../../shared/trace/testdata/azure2019-top10-1day"

type simResult struct {
	Name         string  `json:"name"`
	Kind         string  `json:"kind"`
	CostUSD      float64 `json:"cost_usd"`
	LatencyP95Ms float64 `json:"latency_p95_ms"`
	Invocations  int64   `json:"invocations"`
}

// TestSimulateSample is the acceptance through the CLI: on the
// sample trace the cheapest policy costs within a few percent of the
// oracle, less than every single-cloud baseline, with its p95 within the
// SLO; the table shows the same with the data's attribution.
func TestSimulateSample(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := runSimulate(context.Background(), []string{"--trace", sampleTrace, "--json"}, &out, &errOut); err != nil {
		t.Fatalf("fiso simulate --json: %v\n%s", err, errOut.String())
	}
	var rep struct {
		Invocations int64       `json:"invocations"`
		SLOMs       float64     `json:"slo_ms"`
		Results     []simResult `json:"results"`
		Attribution string      `json:"attribution"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report %s: %v", out.String(), err)
	}
	byName := map[string]simResult{}
	baselines := 0
	for _, r := range rep.Results {
		byName[r.Name] = r
		if r.Kind == "baseline" {
			baselines++
		}
	}
	cheapest, oracle := byName["cheapest"], byName["oracle"]
	if rep.Invocations != 13_037_064 || cheapest.Invocations != rep.Invocations || baselines != 3 {
		t.Fatalf("replayed %d invocations (cheapest %d) with %d baselines; want 13,037,064 and 3", rep.Invocations, cheapest.Invocations, baselines)
	}
	if cheapest.CostUSD > 1.05*oracle.CostUSD || cheapest.CostUSD < oracle.CostUSD {
		t.Errorf("cheapest $%.4f vs oracle $%.4f: want within 5%% above it", cheapest.CostUSD, oracle.CostUSD)
	}
	for _, r := range rep.Results {
		if r.Kind == "baseline" && cheapest.CostUSD >= r.CostUSD {
			t.Errorf("cheapest $%.4f is not below %s's $%.4f", cheapest.CostUSD, r.Name, r.CostUSD)
		}
	}
	if cheapest.LatencyP95Ms > rep.SLOMs {
		t.Errorf("cheapest p95 %.0f ms over the SLO %.0f ms", cheapest.LatencyP95Ms, rep.SLOMs)
	}
	if !strings.Contains(rep.Attribution, "Shahrad") {
		t.Errorf("attribution = %q", rep.Attribution)
	}

	out.Reset()
	if err := runSimulate(context.Background(), []string{"--trace", sampleTrace, "--functions", "3"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cheapest", "aws-only", "azure-only", "gcp-only", "oracle", "vs oracle", "Serverless in the Wild"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSimulateBadInput(t *testing.T) {
	dir := t.TempDir()
	badPolicy := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(badPolicy, []byte(`{"name":"x","strategy":"cheapest-ever"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	bogus := filepath.Join(dir, "trace.csv")
	if err := os.WriteFile(bogus, []byte("a,b,c\n1,2,3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no trace", nil, true, "usage: fiso simulate"},
		{"unknown flag", []string{"--trace", sampleTrace, "--colour"}, true, "colour"},
		{"missing trace", []string{"--trace", filepath.Join(dir, "nope")}, false, "nope"},
		{"not a trace", []string{"--trace", bogus}, false, "trace.csv"},
		{"bad policy", []string{"--trace", sampleTrace, "--policy", badPolicy}, false, "cheapest-ever"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runSimulate(context.Background(), tc.args, &out, &errOut)
			var ue usageError
			if err == nil || errors.As(err, &ue) != tc.usage || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v (usage error: %v), want one naming %q (usage: %v)", err, errors.As(err, &ue), tc.want, tc.usage)
			}
		})
	}
}
