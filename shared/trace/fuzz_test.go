package trace

import (
	"errors"
	"io"
	"math"
	"os"
	"strings"
	"testing"
)

// checkErr fails unless err is nil or a *ParseError with a position.
func checkErr(t *testing.T, err error) bool {
	t.Helper()
	if err == nil {
		return true
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %T %q, want a *ParseError", err, err)
	}
	if pe.Line < 1 || pe.File == "" || pe.Column < 0 {
		t.Fatalf("ParseError without a position: %+v", pe)
	}
	return false
}

func sampleHead(t interface{ Fatal(...any) }, path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitAfterN(string(b), "\n", lines+1)
	return strings.Join(parts[:min(lines, len(parts))], "")
}

func FuzzInvocations(f *testing.F) {
	f.Add(sampleHead(f, sample2019+"/invocations.csv", 3))
	f.Add(invHeader + "o,a,f,http,1,2,3\n")
	f.Add(invHeader + "o,a,f,http,1,2,3\r\no,a,g,,0,0,4294967295\r\n")
	f.Add("\ufeff" + invHeader + "\"o\",a,f,http,1,2,3\n")
	f.Fuzz(func(t *testing.T, text string) {
		ir, err := NewInvocationsReader(strings.NewReader(text), "inv.csv")
		if !checkErr(t, err) {
			return
		}
		var c Counts
		for {
			err := ir.Next(&c)
			if err == io.EOF {
				return
			}
			if !checkErr(t, err) {
				return
			}
			if len(c.PerMinute) != ir.Minutes() || c.Owner == "" || c.App == "" || c.Function == "" {
				t.Fatalf("row without %d minutes or with an empty hash: %+v", ir.Minutes(), c)
			}
		}
	})
}

func FuzzDurations(f *testing.F) {
	f.Add(sampleHead(f, sample2019+"/durations.csv", 3))
	f.Add(durHeader + "o,a,f,1e3,1,0.0,1,0,0,0,0,0,0,1\n")
	f.Add(durHeader + "o,a,f,1,1,0,1,0,0,0,0,0,0,1\no,a,f,1,1,0,1,0,0,0,0,0,0,1\n")
	f.Fuzz(func(t *testing.T, text string) {
		dt, err := ReadDurations(strings.NewReader(text), "dur.csv")
		if !checkErr(t, err) {
			return
		}
		check := func(d Durations) {
			for i, p := range d.Percentiles {
				if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 || i > 0 && p < d.Percentiles[i-1] {
					t.Fatalf("accepted bad percentiles %v", d.Percentiles)
				}
			}
			dist := d.Distribution(TailMatchMean)
			if m := dist.Mean(); math.IsNaN(m) || m < 0 {
				t.Fatalf("distribution of %+v has mean %v", d, m)
			}
		}
		for _, d := range dt.byFunction {
			check(d)
		}
		check(dt.median)
	})
}

func FuzzMemory(f *testing.F) {
	f.Add(sampleHead(f, sample2019+"/memory.csv", 3))
	f.Add(memHeader + "o,a,5,100,1,2,3,4,5,6,7,8\n")
	f.Fuzz(func(t *testing.T, text string) {
		mt, err := ReadMemory(strings.NewReader(text), "mem.csv")
		if !checkErr(t, err) {
			return
		}
		for _, m := range mt.byApp {
			for i, p := range m.Percentiles {
				if math.IsNaN(p) || p < 0 || i > 0 && p < m.Percentiles[i-1] {
					t.Fatalf("accepted bad percentiles %v", m.Percentiles)
				}
			}
		}
	})
}

func Fuzz2021(f *testing.F) {
	f.Add(sampleHead(f, sample2021, 6))
	f.Add(h2021 + "a,f,1,0.5\na,g,0.2,0.2\nb,f,1,1\n")
	f.Fuzz(func(t *testing.T, text string) {
		all := func(chunk int) ([]Invocation2021, bool) {
			s, err := Sort2021(strings.NewReader(text), "t.csv", SortOptions{ChunkRows: chunk, TempDir: t.TempDir()})
			if !checkErr(t, err) {
				return nil, false
			}
			defer s.Close()
			var out []Invocation2021
			for {
				inv, err := s.Next()
				if err == io.EOF {
					return out, true
				}
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, inv)
			}
		}
		a, ok := all(0)
		if !ok {
			return
		}
		b, _ := all(2)
		if len(a) != len(b) {
			t.Fatalf("in memory %d rows, merged %d", len(a), len(b))
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("row %d: in memory %+v, merged %+v", i, a[i], b[i])
			}
			if i > 0 && a[i].StartS < a[i-1].StartS {
				t.Fatalf("not sorted at row %d", i)
			}
			if a[i].DurationS < 0 || math.IsNaN(a[i].StartS) {
				t.Fatalf("accepted a bad row %+v", a[i])
			}
		}
	})
}
