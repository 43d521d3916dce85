package trace

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	sample2019 = "testdata/azure2019-top10-1day"
	sample2021 = "testdata/azure2021-sample/Azure2021_first198.csv"
)

func TestDay2019Sample(t *testing.T) {
	src, err := Locate(sample2019)
	if err != nil {
		t.Fatal(err)
	}
	if src.Format != Azure2019 {
		t.Fatalf("format: got %q, want %q", src.Format, Azure2019)
	}
	day, err := Open2019(src.Day)
	if err != nil {
		t.Fatal(err)
	}
	defer day.Close()
	if day.Minutes() != 1440 {
		t.Errorf("minutes: got %d, want 1440", day.Minutes())
	}
	var fns []Function2019
	var total int64
	for {
		fn, err := day.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fns = append(fns, fn)
		total += fn.Total()
	}
	if len(fns) != 10 {
		t.Fatalf("functions: got %d, want 10", len(fns))
	}
	// The README's "about 13.0 M invocations", counted with a script.
	if total != 13_037_064 {
		t.Errorf("invocations: got %d, want 13037064", total)
	}
	first := fns[0]
	if first.Trigger != "http" || first.PerMinute[0] != 197 || first.PerMinute[37] != 0 {
		t.Errorf("first function: trigger %q, minute 1 %d, minute 38 %d; want http, 197, 0", first.Trigger, first.PerMinute[0], first.PerMinute[37])
	}
	wantDur := Durations{Average: 306, Count: 7726495, Minimum: 0, Maximum: 144874, Percentiles: [7]float64{1, 247, 269, 282, 304, 481, 130686}}
	if first.Durations != wantDur || first.DurationsFrom != FromTrace {
		t.Errorf("first durations: got %+v from %s, want %+v from trace", first.Durations, first.DurationsFrom, wantDur)
	}
	wantMem := Memory{SampleCount: 4258736, AverageMB: 204, Percentiles: [8]float64{112, 122, 202, 208, 216, 232, 245, 398}}
	if first.Memory != wantMem || first.MemoryFrom != FromTrace {
		t.Errorf("first memory: got %+v from %s, want %+v from trace", first.Memory, first.MemoryFrom, wantMem)
	}
	for _, fn := range fns {
		if fn.DurationsFrom != FromTrace || fn.MemoryFrom != FromTrace {
			t.Errorf("%s: durations from %s, memory from %s; want both from the trace", fn.Function[:8], fn.DurationsFrom, fn.MemoryFrom)
		}
	}
}

const (
	invHeader = "HashOwner,HashApp,HashFunction,Trigger,1,2,3\n"
	durHeader = "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n"
	memHeader = "HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100\n"
	h2021     = "app,func,end_timestamp,duration\n"
)

func readInvocations(text string) error {
	ir, err := NewInvocationsReader(strings.NewReader(text), "inv.csv")
	if err != nil {
		return err
	}
	var c Counts
	for {
		if err := ir.Next(&c); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func readDurations(text string) error {
	_, err := ReadDurations(strings.NewReader(text), "dur.csv")
	return err
}

func readMemory(text string) error {
	_, err := ReadMemory(strings.NewReader(text), "mem.csv")
	return err
}

func read2021(text string) error {
	s, err := Sort2021(strings.NewReader(text), "t.csv", SortOptions{ChunkRows: 2, TempDir: os.TempDir()})
	if err != nil {
		return err
	}
	defer s.Close()
	for {
		if _, err := s.Next(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name string
		read func(string) error
		text string
		want string // the error's text starts with it
	}{
		{"invocations: empty file", readInvocations, "", "inv.csv:1: the file is empty"},
		{"invocations: wrong header", readInvocations, "HashOwner,HashApp,Function,Trigger,1\n", `inv.csv:1: column 3 (HashFunction): header has "Function"`},
		{"invocations: minute columns misnamed", readInvocations, "HashOwner,HashApp,HashFunction,Trigger,1,3\n", `inv.csv:1: column 6: minute column is named "3" where "2" is expected`},
		{"invocations: no minutes", readInvocations, "HashOwner,HashApp,HashFunction,Trigger\n", "inv.csv:1: the header has no minute columns"},
		{"invocations: not a number", readInvocations, invHeader + "o,a,f,http,1,x,3\n", `inv.csv:2: column 6 (2): "x" is not a whole number`},
		{"invocations: negative", readInvocations, invHeader + "o,a,f,http,1,2,3\no,a,g,http,1,-2,3\n", `inv.csv:3: column 6 (2): "-2" is not a whole number`},
		{"invocations: fraction", readInvocations, invHeader + "o,a,f,http,1.5,2,3\n", `inv.csv:2: column 5 (1): "1.5"`},
		{"invocations: empty count", readInvocations, invHeader + "o,a,f,http,1,,3\n", `inv.csv:2: column 6 (2): "" is not a whole number`},
		{"invocations: too large", readInvocations, invHeader + "o,a,f,http,4294967296,2,3\n", `inv.csv:2: column 5 (1)`},
		{"invocations: empty hash", readInvocations, invHeader + ",a,f,http,1,2,3\n", "inv.csv:2: column 1 (HashOwner): the value is empty"},
		{"invocations: short row", readInvocations, invHeader + "o,a,f,http,1,2\n", "inv.csv:2: the row has a different number of fields"},
		{"invocations: bad quote", readInvocations, invHeader + "o,a,\"f,http,1,2,3\n", "inv.csv:2"},
		{"durations: text average", readDurations, durHeader + "o,a,f,abc,1,0,1,0,0,0,0,0,0,1\n", `dur.csv:2: column 4 (Average): "abc" is not a number`},
		{"durations: NaN", readDurations, durHeader + "o,a,f,NaN,1,0,1,0,0,0,0,0,0,1\n", `dur.csv:2: column 4 (Average): "NaN" is not a finite number`},
		{"durations: infinite", readDurations, durHeader + "o,a,f,1,1,0,Inf,0,0,0,0,0,0,1\n", `dur.csv:2: column 7 (Maximum): "Inf" is not a finite number`},
		{"durations: negative", readDurations, durHeader + "o,a,f,1,1,0,1,0,0,0,-1,0,0,1\n", `dur.csv:2: column 11 (percentile_Average_50): "-1" is negative`},
		{"durations: decreasing", readDurations, durHeader + "o,a,f,1,1,0,1,0,5,4,4,4,4,9\n", "dur.csv:2: column 10 (percentile_Average_25): percentile 4 < the previous percentile 5"},
		{"durations: count not whole", readDurations, durHeader + "o,a,f,1,1.5,0,1,0,0,0,0,0,0,1\n", `dur.csv:2: column 5 (Count): "1.5" is not a whole number`},
		{"durations: conflicting duplicate", readDurations, durHeader + "o,a,f,1,1,0,1,0,0,0,0,0,0,1\no,a,f,2,1,0,1,0,0,0,0,0,0,1\n", "dur.csv:3: function f is listed again with different values (first on line 2)"},
		{"durations: extra column", readDurations, strings.TrimSuffix(durHeader, "\n") + ",x\n", "dur.csv:1: column 15: header has 15 columns"},
		{"memory: wrong header", readMemory, "HashOwner,HashApp,Samples\n", `mem.csv:1: column 3 (SampleCount)`},
		{"memory: empty average", readMemory, memHeader + "o,a,5,,1,2,3,4,5,6,7,8\n", `mem.csv:2: column 4 (AverageAllocatedMb): "" is not a number`},
		{"memory: decreasing", readMemory, memHeader + "o,a,5,100,1,2,3,4,5,6,7,1\n", "mem.csv:2: column 12 (AverageAllocatedMb_pct100): percentile 1 < the previous"},
		{"2021: wrong header", read2021, "app,func,end,duration\n", `t.csv:1: column 3 (end_timestamp)`},
		{"2021: negative duration", read2021, h2021 + "a,f,2.5,0.1\na,f,3,-1\n", `t.csv:3: column 4 (duration): "-1" is negative`},
		{"2021: text end", read2021, h2021 + "a,f,1,0.1\na,f,2,0.1\na,f,later,0.1\n", `t.csv:4: column 3 (end_timestamp): "later" is not a number`},
		{"2021: empty func", read2021, h2021 + "a,,1,0.1\n", "t.csv:2: column 2 (func): the value is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.read(tc.text)
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got error %q, want it to start with %q", err, tc.want)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("errors.Is(%v, ErrMalformed) is false", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Errorf("got %T %v, want a *ParseError with a line", err, err)
			}
		})
	}
}

func TestJoinFallbacks(t *testing.T) {
	inv := invHeader + "o,a,f1,http,1,0,0\no,a,f2,http,0,1,0\no,b,g,timer,0,0,1\n"
	dur := durHeader +
		"o,a,f1,10,100,1,50,1,2,8,10,12,30,50\n" +
		"o,c,h,30,5,1,90,1,20,25,30,35,80,90\n" +
		"o,c,i,50,7,1,90,1,40,45,50,55,80,90\n"
	mem := memHeader + "o,a,9,128,100,110,120,128,130,140,150,160\n"
	ir, err := NewInvocationsReader(strings.NewReader(inv), "inv.csv")
	if err != nil {
		t.Fatal(err)
	}
	dt, err := ReadDurations(strings.NewReader(dur), "dur.csv")
	if err != nil {
		t.Fatal(err)
	}
	mt, err := ReadMemory(strings.NewReader(mem), "mem.csv")
	if err != nil {
		t.Fatal(err)
	}
	day := NewDay2019(ir, dt, mt)
	type got struct {
		fn       string
		avg      float64
		durFrom  Provenance
		memAvg   float64
		memFrom  Provenance
		p50      float64
		minuteOf int
	}
	want := []got{
		{"f1", 10, FromTrace, 128, FromTrace, 10, 0},
		// f2 borrows f1's row: its app's function with the most executions.
		{"f2", 10, FromApp, 128, FromTrace, 10, 1},
		// g's app has no rows at all: the medians of each column (over
		// f1, h, i) and of the memory file's single app.
		{"g", 30, FromMedian, 128, FromMedian, 30, 2},
	}
	for _, w := range want {
		fn, err := day.Next()
		if err != nil {
			t.Fatal(err)
		}
		g := got{fn.Function, fn.Durations.Average, fn.DurationsFrom, fn.Memory.AverageMB, fn.MemoryFrom, fn.Durations.Percentiles[3], -1}
		for m, c := range fn.PerMinute {
			if c > 0 {
				g.minuteOf = m
			}
		}
		if g != w {
			t.Errorf("got %+v, want %+v", g, w)
		}
	}
	if _, err := day.Next(); err != io.EOF {
		t.Errorf("after the last function: got %v, want io.EOF", err)
	}
}

func TestMemoryStat(t *testing.T) {
	m := Memory{AverageMB: 150, Percentiles: [8]float64{1, 5, 25, 50, 75, 95, 99, 300}}
	tests := []struct {
		name string
		want float64
	}{{"average", 150}, {"max", 300}, {"p100", 300}, {"p99", 99}, {"p1", 1}, {"p50", 50}}
	for _, tc := range tests {
		got, err := m.Stat(tc.name)
		if err != nil || got != tc.want {
			t.Errorf("Stat(%q): got %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []string{"p2", "median", "", "p"} {
		if _, err := m.Stat(bad); err == nil {
			t.Errorf("Stat(%q): got no error", bad)
		}
	}
}

func TestDistribution(t *testing.T) {
	d := Durations{Average: 20, Percentiles: [7]float64{0, 10, 10, 20, 30, 40, 1000}}
	lin := d.Distribution(TailLinear)
	tests := []struct {
		u, want float64
	}{{0, 0}, {0.005, 5}, {0.01, 10}, {0.25, 10}, {0.375, 15}, {0.5, 20}, {0.99, 40}, {0.995, 520}, {1, 1000}, {-1, 0}, {2, 1000}}
	for _, tc := range tests {
		if got := lin.Quantile(tc.u); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Quantile(%v): got %v, want %v", tc.u, got, tc.want)
		}
	}
	// Mean by hand: .01*5 + .24*10 + .25*15 + .25*25 + .24*35 + .01*520.
	wantMean := 0.05 + 2.4 + 3.75 + 6.25 + 8.4 + 5.2
	if got := lin.Mean(); math.Abs(got-wantMean) > 1e-9 {
		t.Errorf("linear mean: got %v, want %v", got, wantMean)
	}
	// Equal bins' means average to the mean.
	const k = 64
	var sum float64
	for i := range k {
		sum += lin.BinMean(float64(i)/k, float64(i+1)/k)
	}
	if got := sum / k; math.Abs(got-wantMean) > 1e-9 {
		t.Errorf("mean of %d bin means: got %v, want %v", k, got, wantMean)
	}
	// The mean (26.05) is above the Average (20): match-mean lowers the top
	// point, to no less than the 99th percentile.
	mm := d.Distribution(TailMatchMean)
	if got := mm.X[6]; got != 40 {
		t.Errorf("match-mean top point: got %v, want 40 (the body alone averages %v > 20)", got, wantMean-5.2+0.4)
	}
	d.Average = 25
	mm = d.Distribution(TailMatchMean)
	if got := mm.Mean(); math.Abs(got-25) > 1e-9 {
		t.Errorf("match-mean mean: got %v, want 25", got)
	}
	if mm.X[6] >= 1000 || mm.X[6] < 40 {
		t.Errorf("match-mean top point: got %v, want in [40, 1000)", mm.X[6])
	}
	d.Average = 100 // above the linear mean: nothing is raised
	if got := d.Distribution(TailMatchMean).X[6]; got != 1000 {
		t.Errorf("an Average above the linear mean: top point got %v, want 1000", got)
	}
}

func TestSort2021(t *testing.T) {
	read := func(chunk int) []Invocation2021 {
		t.Helper()
		f, err := os.Open(sample2021)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		dir := t.TempDir()
		s, err := Sort2021(f, sample2021, SortOptions{ChunkRows: chunk, TempDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		var out []Invocation2021
		for {
			inv, err := s.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, inv)
		}
		if got := s.Functions(); got != 31 {
			t.Errorf("functions: got %d, want 31", got)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("Close left %d files in the temporary directory", len(left))
		}
		return out
	}
	inMemory := read(0)
	spilled := read(7) // 29 runs
	if len(inMemory) != 199 {
		t.Fatalf("invocations: got %d, want 199", len(inMemory))
	}
	for i := range inMemory {
		if inMemory[i] != spilled[i] {
			t.Fatalf("row %d: in memory %+v, spilled and merged %+v", i, inMemory[i], spilled[i])
		}
		if i > 0 && inMemory[i].StartS < inMemory[i-1].StartS {
			t.Fatalf("row %d starts at %v, before row %d at %v", i, inMemory[i].StartS, i-1, inMemory[i-1].StartS)
		}
	}
	first := inMemory[0]
	if first.FuncID != 0 || !strings.HasPrefix(first.App, "7b2c43a2") || math.Abs(first.StartS-0.0014909) > 1e-6 || first.DurationS != 0.078 {
		t.Errorf("first invocation: got %+v", first)
	}
	seen := -1
	for _, inv := range inMemory {
		if inv.FuncID > seen+1 {
			t.Fatalf("function IDs must be handed out in order of first start: got %d after %d", inv.FuncID, seen)
		}
		seen = max(seen, inv.FuncID)
	}
}

func TestLocate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	inv := write("invocations_per_function_md.anon.d01.csv", invHeader)
	dur := write("function_durations_percentiles.anon.d01.csv", durHeader)
	mem := write("app_memory_percentiles.anon.d01.csv", memHeader)
	write("README.md", "# not a trace\n")
	got, err := Locate(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Source{Format: Azure2019, Day: Files2019{Invocations: inv, Durations: dur, Memory: mem}}
	if got != want {
		t.Errorf("directory: got %+v, want %+v", got, want)
	}
	if got, err := Locate(mem + "," + inv + "," + dur); err != nil || got != want {
		t.Errorf("comma list: got %+v, %v; want %+v", got, err, want)
	}
	if _, err := Locate(inv + "," + dur); err == nil || !strings.Contains(err.Error(), "missing memory (2019)") {
		t.Errorf("two files: got %v, want a missing-memory error", err)
	}
	write("invocations_per_function_md.anon.d02.csv", invHeader)
	if _, err := Locate(dir); err == nil || !strings.Contains(err.Error(), "2 invocations (2019) files") {
		t.Errorf("two days: got %v, want an error naming both invocation files", err)
	}
	if got, err := Locate(sample2021); err != nil || got.Format != Azure2021 || got.File2021 != sample2021 {
		t.Errorf("2021 file: got %+v, %v", got, err)
	}
	if got, err := Locate(filepath.Dir(sample2021)); err != nil || got.Format != Azure2021 {
		t.Errorf("2021 directory: got %+v, %v", got, err)
	}
	empty := t.TempDir()
	write2 := filepath.Join(empty, "x.csv")
	if err := os.WriteFile(write2, []byte("a,b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Locate(empty); !errors.Is(err, ErrNoTrace) {
		t.Errorf("no trace: got %v, want ErrNoTrace", err)
	}
	if _, err := Locate(""); !errors.Is(err, ErrNoTrace) {
		t.Errorf("empty path: got %v, want ErrNoTrace", err)
	}
}
