package trace

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// Invocation2021 is one invocation of the 2021 trace.
type Invocation2021 struct {
	App, Func string
	// FuncID numbers the trace's functions 0, 1, ... in order of first start.
	FuncID int
	// StartS is when it started, in seconds from the trace's origin
	// (end_timestamp - duration; slightly negative for a call already
	// running at the origin); DurationS is how long it ran.
	StartS, DurationS float64
}

// SortOptions bound the memory Sort2021 uses.
type SortOptions struct {
	// ChunkRows is how many rows are sorted in memory before a sorted run is
	// spilled to a temporary file (default 1,000,000: about 24 MB).
	ChunkRows int
	// TempDir holds the runs (default os.TempDir()).
	TempDir string
}

// DefaultChunkRows is SortOptions.ChunkRows when unset.
const DefaultChunkRows = 1_000_000

// row is one invocation while sorting: 24 bytes, the hashes interned.
type row struct {
	start, dur float64
	fn         uint32 // index into the read-order function table
	line       uint32 // the file line, which makes the order total
}

const rowBytes = 24

func (a row) less(b row) bool {
	if a.start != b.start {
		return a.start < b.start
	}
	return a.line < b.line
}

// Sorted2021 yields a 2021 trace's invocations in order of start time (ties
// in file order). It holds one chunk of rows, the function table (one entry
// per distinct app and function) and one buffered reader per spilled run.
type Sorted2021 struct {
	keys  [][2]string // by read-order id
	remap []int       // read-order id -> first-start order id
	next  int         // next first-start id to hand out
	mem   []row       // the last chunk, sorted, when nothing was spilled
	pos   int
	runs  []*run
	h     runHeap
	files []string
	err   error
}

// Sort2021 reads a whole 2021 file (app,func,end_timestamp,duration; seconds)
// and sorts it by start time in bounded memory. Close removes the temporary
// files.
func Sort2021(r io.Reader, name string, opt SortOptions) (*Sorted2021, error) {
	if opt.ChunkRows <= 0 {
		opt.ChunkRows = DefaultChunkRows
	}
	t, err := newTable(r, name)
	if err != nil {
		return nil, err
	}
	if err := t.expectHeader("app", "func", "end_timestamp", "duration"); err != nil {
		return nil, err
	}
	if len(t.header) != 4 {
		return nil, &ParseError{File: name, Line: 1, Column: 5, Err: fmt.Errorf("header has %d columns; a 2021 trace has 4", len(t.header))}
	}
	s := &Sorted2021{}
	ids := map[[2]string]uint32{}
	chunk := make([]row, 0, min(opt.ChunkRows, 1<<16))
	for {
		if err := t.next(); err == io.EOF {
			break
		} else if err != nil {
			s.Close()
			return nil, err
		}
		app, err := t.str(0)
		if err != nil {
			s.Close()
			return nil, err
		}
		fn, err := t.str(1)
		if err != nil {
			s.Close()
			return nil, err
		}
		end, err := t.float(2)
		if err != nil {
			s.Close()
			return nil, err
		}
		dur, err := t.float(3)
		if err != nil {
			s.Close()
			return nil, err
		}
		line := t.line()
		if line > math.MaxUint32 {
			s.Close()
			return nil, &ParseError{File: name, Line: line, Err: errors.New("the file has more than 4,294,967,295 lines")}
		}
		k := [2]string{app, fn}
		id, ok := ids[k]
		if !ok {
			if len(s.keys) == math.MaxUint32 {
				s.Close()
				return nil, &ParseError{File: name, Line: line, Err: errors.New("too many distinct functions")}
			}
			k = [2]string{clone(app), clone(fn)}
			id = uint32(len(s.keys))
			ids[k] = id
			s.keys = append(s.keys, k)
		}
		chunk = append(chunk, row{start: end - dur, dur: dur, fn: id, line: uint32(line)})
		if len(chunk) == opt.ChunkRows {
			if err := s.spill(chunk, opt.TempDir); err != nil {
				s.Close()
				return nil, err
			}
			chunk = chunk[:0]
		}
	}
	slices.SortFunc(chunk, cmpRow)
	s.remap = make([]int, len(s.keys))
	for i := range s.remap {
		s.remap[i] = -1
	}
	if len(s.runs) == 0 {
		s.mem = chunk
		return s, nil
	}
	if len(chunk) > 0 {
		if err := s.spill(chunk, opt.TempDir); err != nil {
			s.Close()
			return nil, err
		}
	}
	for _, r := range s.runs {
		ok, err := r.advance()
		if err != nil {
			s.Close()
			return nil, err
		}
		if ok {
			s.h = append(s.h, r)
		}
	}
	heap.Init(&s.h)
	return s, nil
}

func clone(s string) string { return string([]byte(s)) }

func cmpRow(a, b row) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

// spill sorts chunk and writes it to a new temporary file as a run.
func (s *Sorted2021) spill(chunk []row, dir string) error {
	slices.SortFunc(chunk, cmpRow)
	f, err := os.CreateTemp(dir, "fiso-trace2021-*.run")
	if err != nil {
		return fmt.Errorf("spill sorted run: %w", err)
	}
	s.files = append(s.files, f.Name())
	w := bufio.NewWriterSize(f, 1<<20)
	var b [rowBytes]byte
	for _, r := range chunk {
		binary.LittleEndian.PutUint64(b[0:], math.Float64bits(r.start))
		binary.LittleEndian.PutUint64(b[8:], math.Float64bits(r.dur))
		binary.LittleEndian.PutUint32(b[16:], r.fn)
		binary.LittleEndian.PutUint32(b[20:], r.line)
		if _, err := w.Write(b[:]); err != nil {
			f.Close()
			return fmt.Errorf("spill sorted run: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("spill sorted run: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("rewind sorted run: %w", err)
	}
	s.runs = append(s.runs, &run{f: f, r: bufio.NewReaderSize(f, 64<<10)})
	return nil
}

// Functions is the number of distinct functions (app, func) in the trace.
func (s *Sorted2021) Functions() int { return len(s.keys) }

// Next returns the next invocation by start time; io.EOF after the last.
func (s *Sorted2021) Next() (Invocation2021, error) {
	if s.err != nil {
		return Invocation2021{}, s.err
	}
	var r row
	switch {
	case s.runs == nil:
		if s.pos == len(s.mem) {
			return Invocation2021{}, io.EOF
		}
		r = s.mem[s.pos]
		s.pos++
	default:
		if len(s.h) == 0 {
			return Invocation2021{}, io.EOF
		}
		top := s.h[0]
		r = top.cur
		ok, err := top.advance()
		if err != nil {
			s.err = err
			return Invocation2021{}, err
		}
		if ok {
			heap.Fix(&s.h, 0)
		} else {
			heap.Pop(&s.h)
		}
	}
	id := s.remap[r.fn]
	if id < 0 {
		id = s.next
		s.remap[r.fn] = id
		s.next++
	}
	k := s.keys[r.fn]
	return Invocation2021{App: k[0], Func: k[1], FuncID: id, StartS: r.start, DurationS: r.dur}, nil
}

// Close removes the temporary files.
func (s *Sorted2021) Close() error {
	var errs []error
	for _, r := range s.runs {
		errs = append(errs, r.f.Close())
	}
	for _, name := range s.files {
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	s.runs, s.files, s.h = nil, nil, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove sorted runs: %w", err)
	}
	return nil
}

// run is one spilled, sorted chunk being merged.
type run struct {
	f   *os.File
	r   *bufio.Reader
	cur row
	buf [rowBytes]byte
}

func (r *run) advance() (bool, error) {
	if _, err := io.ReadFull(r.r, r.buf[:]); err == io.EOF {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("read sorted run %s: %w", r.f.Name(), err)
	}
	r.cur = row{
		start: math.Float64frombits(binary.LittleEndian.Uint64(r.buf[0:])),
		dur:   math.Float64frombits(binary.LittleEndian.Uint64(r.buf[8:])),
		fn:    binary.LittleEndian.Uint32(r.buf[16:]),
		line:  binary.LittleEndian.Uint32(r.buf[20:]),
	}
	return true, nil
}

type runHeap []*run

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return h[i].cur.less(h[j].cur) }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*run)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
