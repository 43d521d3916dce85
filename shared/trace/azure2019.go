package trace

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Counts is one row of a 2019 invocations file (invocations_per_function_md):
// a function and its invocation count in each minute of the day.
type Counts struct {
	Owner, App, Function string
	Trigger              string
	// PerMinute[m] is the number of invocations that started in minute m
	// (0-based; the file's column "m+1").
	PerMinute []uint32
}

// Total is the number of invocations in the day.
func (c *Counts) Total() int64 {
	var n int64
	for _, v := range c.PerMinute {
		n += int64(v)
	}
	return n
}

// InvocationsReader streams a 2019 invocations file
// (HashOwner,HashApp,HashFunction,Trigger,1..N), one function per Next.
type InvocationsReader struct {
	t       *table
	minutes int
}

const invocationIDs = 4

// NewInvocationsReader reads the header of a 2019 invocations file. name is
// used in errors. The minute columns must be named 1, 2, ... N (N >= 1;
// the public files have 1,440).
func NewInvocationsReader(r io.Reader, name string) (*InvocationsReader, error) {
	t, err := newTable(r, name)
	if err != nil {
		return nil, err
	}
	if err := t.expectHeader("HashOwner", "HashApp", "HashFunction", "Trigger"); err != nil {
		return nil, err
	}
	n := len(t.header) - invocationIDs
	if n < 1 {
		return nil, &ParseError{File: name, Line: 1, Err: errors.New("the header has no minute columns after Trigger")}
	}
	for i := range n {
		if want := strconv.Itoa(i + 1); t.header[invocationIDs+i] != want {
			return nil, &ParseError{File: name, Line: 1, Column: invocationIDs + i + 1,
				Err: fmt.Errorf("minute column is named %q where %q is expected", clip(t.header[invocationIDs+i]), want)}
		}
	}
	return &InvocationsReader{t: t, minutes: n}, nil
}

// Minutes is the number of minute columns.
func (ir *InvocationsReader) Minutes() int { return ir.minutes }

// Next reads the next function into c, reusing c.PerMinute when it has the
// capacity. It returns io.EOF after the last.
func (ir *InvocationsReader) Next(c *Counts) error {
	t := ir.t
	if err := t.next(); err != nil {
		return err
	}
	var err error
	if c.Owner, err = t.str(0); err != nil {
		return err
	}
	if c.App, err = t.str(1); err != nil {
		return err
	}
	if c.Function, err = t.str(2); err != nil {
		return err
	}
	// The strings point into the reader's row buffer; clone the small ones.
	c.Owner, c.App, c.Function = strings.Clone(c.Owner), strings.Clone(c.App), strings.Clone(c.Function)
	c.Trigger = strings.Clone(t.rec[3])
	if cap(c.PerMinute) < ir.minutes {
		c.PerMinute = make([]uint32, ir.minutes)
	}
	c.PerMinute = c.PerMinute[:ir.minutes]
	for m := range ir.minutes {
		v, ok := parseCount(t.rec[invocationIDs+m])
		if !ok {
			return t.fail(invocationIDs+m, "%q is not a whole number of invocations (0 to 4294967295)", clip(t.rec[invocationIDs+m]))
		}
		c.PerMinute[m] = v
	}
	return nil
}

// parseCount parses a decimal uint32 without allocating.
func parseCount(s string) (uint32, bool) {
	if s == "" || len(s) > 10 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	if v > 1<<32-1 {
		return 0, false
	}
	return uint32(v), true
}

// DurationRanks are the percentile ranks (0-100) of Durations.Percentiles.
func DurationRanks() [7]float64 { return [7]float64{0, 1, 25, 50, 75, 99, 100} }

// Durations is one row of a 2019 durations file
// (function_durations_percentiles): execution times in ms of the function's
// successful executions that day. Average, Minimum and Maximum are over
// executions; the percentiles are of the 30-second averages the trace
// aggregates (see DurationRanks).
type Durations struct {
	Average     float64
	Count       int64
	Minimum     float64
	Maximum     float64
	Percentiles [7]float64
}

// MemoryRanks are the percentile ranks (0-100) of Memory.Percentiles.
func MemoryRanks() [8]float64 { return [8]float64{1, 5, 25, 50, 75, 95, 99, 100} }

// Memory is one row of a 2019 memory file (app_memory_percentiles): the
// app's average allocated memory in MB, sampled over the day, and the
// percentiles of those samples (see MemoryRanks).
type Memory struct {
	SampleCount int64
	AverageMB   float64
	Percentiles [8]float64
}

// MaxMB is the largest sample (the 100th percentile).
func (m Memory) MaxMB() float64 { return m.Percentiles[7] }

// Stat returns a statistic of the app's memory by name: "average", "p1",
// "p5", "p25", "p50", "p75", "p95", "p99", "p100" or "max".
func (m Memory) Stat(name string) (float64, error) {
	switch name {
	case "average":
		return m.AverageMB, nil
	case "max":
		return m.MaxMB(), nil
	}
	if rest, ok := strings.CutPrefix(name, "p"); ok {
		if r, err := strconv.Atoi(rest); err == nil {
			for i, rank := range MemoryRanks() {
				if float64(r) == rank {
					return m.Percentiles[i], nil
				}
			}
		}
	}
	return 0, fmt.Errorf("memory statistic %q is not one of average, p1, p5, p25, p50, p75, p95, p99, p100, max", name)
}

// Provenance says where a function's durations or memory came from.
type Provenance uint8

// Provenances, from best to worst.
const (
	// FromTrace: the function's (or for memory, its app's) own row.
	FromTrace Provenance = iota
	// FromApp: the function has no row; another function of the same app
	// lent its row (the one with the most executions, for durations).
	FromApp
	// FromMedian: nothing of the app is in the file; the row is the
	// trace-wide median of each column, the "typical" function or app.
	FromMedian
)

func (p Provenance) String() string {
	switch p {
	case FromTrace:
		return "trace"
	case FromApp:
		return "app"
	case FromMedian:
		return "median"
	}
	return "unknown"
}

// key joins hashes into a map key.
func key(parts ...string) string { return strings.Join(parts, "\x00") }

// DurationTable indexes a durations file by function, for the join.
type DurationTable struct {
	byFunction map[string]Durations
	// byApp holds, per app, the row of its function with the most executions.
	byApp  map[string]Durations
	median Durations
}

// ReadDurations reads a whole 2019 durations file into a table. Rows must
// have non-decreasing percentiles; a function listed twice with different
// values is an error (the join would be ambiguous).
func ReadDurations(r io.Reader, name string) (*DurationTable, error) {
	t, err := newTable(r, name)
	if err != nil {
		return nil, err
	}
	want := []string{"HashOwner", "HashApp", "HashFunction", "Average", "Count", "Minimum", "Maximum"}
	for _, rank := range DurationRanks() {
		want = append(want, fmt.Sprintf("percentile_Average_%g", rank))
	}
	if err := t.expectHeader(want...); err != nil {
		return nil, err
	}
	if len(t.header) != len(want) {
		return nil, &ParseError{File: name, Line: 1, Column: len(want) + 1, Err: fmt.Errorf("header has %d columns; a durations file has %d", len(t.header), len(want))}
	}
	dt := &DurationTable{byFunction: map[string]Durations{}, byApp: map[string]Durations{}}
	lines := map[string]int{}
	var all [][7]float64
	var avgs []float64
	var counts []int64
	for {
		if err := t.next(); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		ids, err := ids(t, 3)
		if err != nil {
			return nil, err
		}
		var d Durations
		if d.Average, err = t.float(3); err != nil {
			return nil, err
		}
		if d.Count, err = t.count(4); err != nil {
			return nil, err
		}
		if d.Minimum, err = t.float(5); err != nil {
			return nil, err
		}
		if d.Maximum, err = t.float(6); err != nil {
			return nil, err
		}
		for i := range d.Percentiles {
			if d.Percentiles[i], err = t.float(7 + i); err != nil {
				return nil, err
			}
			if i > 0 && d.Percentiles[i] < d.Percentiles[i-1] {
				return nil, t.fail(7+i, "percentile %g < the previous percentile %g: percentiles must not decrease", d.Percentiles[i], d.Percentiles[i-1])
			}
		}
		k := key(ids...)
		if prev, dup := dt.byFunction[k]; dup {
			if prev != d {
				return nil, &ParseError{File: name, Line: t.line(), Err: fmt.Errorf("function %s is listed again with different values (first on line %d)", clip(ids[2]), lines[k])}
			}
			continue
		}
		dt.byFunction[k] = d
		lines[k] = t.line()
		app := key(ids[0], ids[1])
		if best, ok := dt.byApp[app]; !ok || d.Count > best.Count {
			dt.byApp[app] = d
		}
		all = append(all, d.Percentiles)
		avgs = append(avgs, d.Average)
		counts = append(counts, d.Count)
	}
	for i := range dt.median.Percentiles {
		col := make([]float64, len(all))
		for j := range all {
			col[j] = all[j][i]
		}
		dt.median.Percentiles[i] = median(col)
	}
	dt.median.Average = median(avgs)
	dt.median.Minimum, dt.median.Maximum = dt.median.Percentiles[0], dt.median.Percentiles[6]
	if len(counts) > 0 {
		slices.Sort(counts)
		dt.median.Count = counts[len(counts)/2]
	}
	return dt, nil
}

// Len is the number of functions in the table.
func (dt *DurationTable) Len() int { return len(dt.byFunction) }

// Lookup finds a function's durations, falling back to its app's busiest
// function and then to the trace-wide medians (FromMedian; all zeros when the
// file had no rows).
func (dt *DurationTable) Lookup(owner, app, function string) (Durations, Provenance) {
	if d, ok := dt.byFunction[key(owner, app, function)]; ok {
		return d, FromTrace
	}
	if d, ok := dt.byApp[key(owner, app)]; ok {
		return d, FromApp
	}
	return dt.median, FromMedian
}

// MemoryTable indexes a memory file by app (the public files: one row per
// app) or by function (files with a HashFunction column, such as the
// vhive-serverless/invitro samples, which repeat the app's row per function).
type MemoryTable struct {
	byFunction map[string]Memory
	byApp      map[string]Memory
	median     Memory
}

// ReadMemory reads a whole 2019 memory file into a table.
func ReadMemory(r io.Reader, name string) (*MemoryTable, error) {
	t, err := newTable(r, name)
	if err != nil {
		return nil, err
	}
	perFunction := len(t.header) > 2 && t.header[2] == "HashFunction"
	idCols := 2
	want := []string{"HashOwner", "HashApp"}
	if perFunction {
		idCols = 3
		want = append(want, "HashFunction")
	}
	want = append(want, "SampleCount", "AverageAllocatedMb")
	for _, rank := range MemoryRanks() {
		want = append(want, fmt.Sprintf("AverageAllocatedMb_pct%g", rank))
	}
	if err := t.expectHeader(want...); err != nil {
		return nil, err
	}
	if len(t.header) != len(want) {
		return nil, &ParseError{File: name, Line: 1, Column: len(want) + 1, Err: fmt.Errorf("header has %d columns; a memory file has %d", len(t.header), len(want))}
	}
	mt := &MemoryTable{byFunction: map[string]Memory{}, byApp: map[string]Memory{}}
	lines := map[string]int{}
	var all [][8]float64
	var avgs []float64
	for {
		if err := t.next(); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		ids, err := ids(t, idCols)
		if err != nil {
			return nil, err
		}
		var m Memory
		if m.SampleCount, err = t.count(idCols); err != nil {
			return nil, err
		}
		if m.AverageMB, err = t.float(idCols + 1); err != nil {
			return nil, err
		}
		for i := range m.Percentiles {
			c := idCols + 2 + i
			if m.Percentiles[i], err = t.float(c); err != nil {
				return nil, err
			}
			if i > 0 && m.Percentiles[i] < m.Percentiles[i-1] {
				return nil, t.fail(c, "percentile %g < the previous percentile %g: percentiles must not decrease", m.Percentiles[i], m.Percentiles[i-1])
			}
		}
		k := key(ids...)
		if prev, dup := mt.lookupExact(k, perFunction); dup {
			if prev != m {
				return nil, &ParseError{File: name, Line: t.line(), Err: fmt.Errorf("%s is listed again with different values (first on line %d)", clip(ids[len(ids)-1]), lines[k])}
			}
			continue
		}
		lines[k] = t.line()
		app := key(ids[0], ids[1])
		if perFunction {
			mt.byFunction[k] = m
			// An app's functions share its memory; keep the first row.
			if _, ok := mt.byApp[app]; !ok {
				mt.byApp[app] = m
			}
		} else {
			mt.byApp[app] = m
		}
		all = append(all, m.Percentiles)
		avgs = append(avgs, m.AverageMB)
	}
	for i := range mt.median.Percentiles {
		col := make([]float64, len(all))
		for j := range all {
			col[j] = all[j][i]
		}
		mt.median.Percentiles[i] = median(col)
	}
	mt.median.AverageMB = median(avgs)
	return mt, nil
}

func (mt *MemoryTable) lookupExact(k string, perFunction bool) (Memory, bool) {
	if perFunction {
		m, ok := mt.byFunction[k]
		return m, ok
	}
	m, ok := mt.byApp[k]
	return m, ok
}

// Lookup finds the memory of a function's app: the function's own row where
// the file has them, else the app's (both FromTrace: memory is the app's in
// the trace), else the trace-wide medians (FromMedian; zeros when the file
// had no rows).
func (mt *MemoryTable) Lookup(owner, app, function string) (Memory, Provenance) {
	if m, ok := mt.byFunction[key(owner, app, function)]; ok {
		return m, FromTrace
	}
	if m, ok := mt.byApp[key(owner, app)]; ok {
		return m, FromTrace
	}
	return mt.median, FromMedian
}

// ids reads the first n hash columns, which must not be empty.
func ids(t *table, n int) ([]string, error) {
	out := make([]string, n)
	for i := range n {
		s, err := t.str(i)
		if err != nil {
			return nil, err
		}
		out[i] = strings.Clone(s)
	}
	return out, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// Function2019 is one function's day in the 2019 trace, joined.
type Function2019 struct {
	Counts
	Durations     Durations
	DurationsFrom Provenance
	Memory        Memory
	MemoryFrom    Provenance
}

// Files2019 names the three files of one day of the 2019 trace.
type Files2019 struct {
	Invocations, Durations, Memory string
}

// Day2019 streams the functions of one day of the 2019 trace, each joined
// with its durations (by owner, app and function) and its app's memory (by
// owner and app).
type Day2019 struct {
	inv  *InvocationsReader
	f    *os.File
	dur  *DurationTable
	mem  *MemoryTable
	name string
}

// Open2019 reads the durations and memory files and opens the invocations
// file for streaming. Close releases it.
func Open2019(files Files2019) (*Day2019, error) {
	dur, err := readFile(files.Durations, ReadDurations)
	if err != nil {
		return nil, err
	}
	mem, err := readFile(files.Memory, ReadMemory)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(files.Invocations)
	if err != nil {
		return nil, fmt.Errorf("open invocations file: %w", err)
	}
	inv, err := NewInvocationsReader(newBufferedReader(f), files.Invocations)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Day2019{inv: inv, f: f, dur: dur, mem: mem, name: files.Invocations}, nil
}

// NewDay2019 joins an open invocations reader with loaded tables.
func NewDay2019(inv *InvocationsReader, dur *DurationTable, mem *MemoryTable) *Day2019 {
	return &Day2019{inv: inv, dur: dur, mem: mem}
}

func readFile[T any](path string, read func(io.Reader, string) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, fmt.Errorf("open trace file: %w", err)
	}
	defer f.Close()
	v, err := read(newBufferedReader(f), path)
	if err != nil {
		return zero, err
	}
	return v, nil
}

// Minutes is the number of minutes in the day's files.
func (d *Day2019) Minutes() int { return d.inv.Minutes() }

// Next returns the next function; io.EOF after the last. Each call returns
// a fresh PerMinute slice, which the caller may keep.
func (d *Day2019) Next() (Function2019, error) {
	var fn Function2019
	if err := d.inv.Next(&fn.Counts); err != nil {
		return Function2019{}, err
	}
	fn.Durations, fn.DurationsFrom = d.dur.Lookup(fn.Owner, fn.App, fn.Function)
	fn.Memory, fn.MemoryFrom = d.mem.Lookup(fn.Owner, fn.App, fn.Function)
	return fn, nil
}

// Close closes the invocations file.
func (d *Day2019) Close() error {
	if d.f == nil {
		return nil
	}
	return d.f.Close()
}
