package awslambda_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/cloud/awslambda"
)

const (
	reqID    = "8f5e0a2c-6b1d-4c3e-9f7a-2d4b6c8e0a1f"
	coldLine = "REPORT RequestId: " + reqID + "\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 120.50 ms\t"
	warmLine = "REPORT RequestId: " + reqID + "\tDuration: 1.02 ms\tBilled Duration: 2 ms\tMemory Size: 1024 MB\tMax Memory Used: 38 MB\t"
)

func TestParseReport(t *testing.T) {
	tests := []struct {
		name   string
		log    string
		want   awslambda.Report
		wantOK bool
	}{
		{"cold", "START RequestId: " + reqID + " Version: $LATEST\nEND RequestId: " + reqID + "\n" + coldLine + "\n",
			awslambda.Report{RequestID: reqID, Duration: 12340 * time.Microsecond, BilledDuration: 13 * time.Millisecond,
				MemorySizeMB: 128, MaxMemoryUsedMB: 40, InitDuration: 120500 * time.Microsecond, HasInit: true}, true},
		{"warm", warmLine + "\n",
			awslambda.Report{RequestID: reqID, Duration: 1020 * time.Microsecond, BilledDuration: 2 * time.Millisecond,
				MemorySizeMB: 1024, MaxMemoryUsedMB: 38}, true},
		{"no trailing newline", warmLine,
			awslambda.Report{RequestID: reqID, Duration: 1020 * time.Microsecond, BilledDuration: 2 * time.Millisecond,
				MemorySizeMB: 1024, MaxMemoryUsedMB: 38}, true},
		{"CRLF", strings.ReplaceAll(warmLine+"\n", "\n", "\r\n"),
			awslambda.Report{RequestID: reqID, Duration: 1020 * time.Microsecond, BilledDuration: 2 * time.Millisecond,
				MemorySizeMB: 1024, MaxMemoryUsedMB: 38}, true},
		{"init of zero is still an init", "REPORT RequestId: x\tDuration: 0.50 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\tInit Duration: 0.00 ms\t",
			awslambda.Report{RequestID: "x", Duration: 500 * time.Microsecond, BilledDuration: time.Millisecond,
				MemorySizeMB: 128, MaxMemoryUsedMB: 1, HasInit: true}, true},
		{"timeout status", "REPORT RequestId: x\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\tStatus: timeout\n",
			awslambda.Report{RequestID: "x", Duration: 3 * time.Second, BilledDuration: 3 * time.Second,
				MemorySizeMB: 128, MaxMemoryUsedMB: 36, Status: "timeout"}, true},
		{"SnapStart restore", "REPORT RequestId: x\tDuration: 5.00 ms\tBilled Duration: 300 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tRestore Duration: 250.25 ms\tBilled Restore Duration: 295 ms\t\n",
			awslambda.Report{RequestID: "x", Duration: 5 * time.Millisecond, BilledDuration: 300 * time.Millisecond,
				MemorySizeMB: 512, MaxMemoryUsedMB: 90, RestoreDuration: 250250 * time.Microsecond, HasRestore: true}, true},
		{"X-Ray line after", warmLine + "\nXRAY TraceId: 1-5e1b4151-5ac6c58f5b5dbd6a1bcbdf0e\tSegmentId: 6b1f2c9d0e8a7b3c\tSampled: true\n",
			awslambda.Report{RequestID: reqID, Duration: 1020 * time.Microsecond, BilledDuration: 2 * time.Millisecond,
				MemorySizeMB: 1024, MaxMemoryUsedMB: 38}, true},
		{"the last REPORT wins", coldLine + "\n" + warmLine + "\n",
			awslambda.Report{RequestID: reqID, Duration: 1020 * time.Microsecond, BilledDuration: 2 * time.Millisecond,
				MemorySizeMB: 1024, MaxMemoryUsedMB: 38}, true},
		{"no REPORT", "START RequestId: x Version: $LATEST\nEND RequestId: x\n", awslambda.Report{}, false},
		{"empty", "", awslambda.Report{}, false},
		{"REPORT cut by the 4 KB tail", "equestId: x\tDuration: 1.00 ms\t\n", awslambda.Report{}, false},
		{"REPORT mid-line is function output", "my log says REPORT RequestId: x\tDuration: 1.00 ms\t\n", awslambda.Report{}, false},
		{"no duration", "REPORT RequestId: x\tMemory Size: 128 MB\t", awslambda.Report{}, false},
		{"no request ID", "REPORT RequestId: \tDuration: 1.00 ms\t", awslambda.Report{}, false},
		{"garbled duration", "REPORT RequestId: x\tDuration: fast ms\t", awslambda.Report{}, false},
		{"negative duration", "REPORT RequestId: x\tDuration: -1.00 ms\t", awslambda.Report{}, false},
		{"NaN duration", "REPORT RequestId: x\tDuration: NaN ms\t", awslambda.Report{}, false},
		{"exponent", "REPORT RequestId: x\tDuration: 1e3 ms\t", awslambda.Report{}, false},
		{"absurd duration", "REPORT RequestId: x\tDuration: 99999999999.00 ms\t", awslambda.Report{}, false},
		{"wrong unit", "REPORT RequestId: x\tDuration: 1.00 s\t", awslambda.Report{}, false},
		{"garbled memory", "REPORT RequestId: x\tDuration: 1.00 ms\tMemory Size: lots MB\t", awslambda.Report{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := awslambda.ParseReport(tc.log)
			if ok != tc.wantOK || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestColdStart(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name      string
		logResult string
		want      string
	}{
		{"init duration", b64(coldLine + "\n"), "true"},
		{"no init duration", b64(warmLine + "\n"), "false"},
		{"no REPORT line", b64("START RequestId: x Version: $LATEST\n"), "nil"},
		{"no log", "", "nil"},
		{"not base64", "%%%", "nil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmtBool(awslambda.ColdStart(tc.logResult)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestReportString(t *testing.T) {
	r, ok := awslambda.ParseReport(coldLine)
	if !ok {
		t.Fatal("the seed line does not parse")
	}
	if got, want := r.String(), strings.Replace(strings.Replace(coldLine, "12.34", "12.34", 1), "120.50", "120.5", 1); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

// FuzzParseReport checks that the parser never panics, that what it accepts
// is in range, and that a parsed Report written back by String parses to the
// same Report (so Billed Duration, which pricing reads, survives both ways).
func FuzzParseReport(f *testing.F) {
	for _, s := range []string{
		coldLine, warmLine + "\n", "REPORT RequestId: x\tDuration: 3000.00 ms\tStatus: timeout\n",
		"REPORT RequestId: x\tDuration: 0.001 ms\tRestore Duration: 1 ms\t",
		"START RequestId: x Version: $LATEST\nREPORT RequestId: x\tDuration: 1 ms\t",
		"REPORT RequestId: \t\t\t", "REPORT RequestId: a\tDuration: 86400000 ms\t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, log string) {
		r, ok := awslambda.ParseReport(log)
		if !ok {
			return
		}
		if r.Duration < 0 || r.BilledDuration < 0 || r.InitDuration < 0 || r.RestoreDuration < 0 || r.MemorySizeMB < 0 || r.MaxMemoryUsedMB < 0 {
			t.Fatalf("%q: negative field in %+v", log, r)
		}
		line := r.String()
		if strings.ContainsAny(line, "\r\n") {
			t.Fatalf("%q: String() spans lines: %q", log, line)
		}
		again, ok := awslambda.ParseReport(line)
		if !ok || again != r {
			t.Fatalf("%q parsed to %+v, whose String %q parses to %+v, %v", log, r, line, again, ok)
		}
	})
}
