// Package trace reads the public Azure Functions traces for replay: the
// Azure Functions Trace 2019 (per function, invocations per minute of a day,
// with duration percentiles per function and allocated-memory percentiles
// per app) and the Azure Functions Invocation Trace 2021 (one row per
// invocation: app,func,end_timestamp,duration in seconds).
//
// Locate finds a trace in a directory or file by the files' headers.
// Open2019 joins one 2019 day and streams it one function at a time, so a
// full day of tens of thousands of functions never sits in memory; Sort2021
// yields a 2021 file's invocations in order of start, sorting in bounded
// memory. Malformed input is reported as a *ParseError naming the file, line
// and column, never as a panic.
//
// The data is Microsoft's, published under CC BY 4.0 in
// Azure/AzurePublicDataset: credit M. Shahrad et al., "Serverless in the
// Wild", USENIX ATC 2020 (2019 trace) and Y. Zhang et al., "Faster and
// Cheaper Serverless Computing on Harvested Resources", SOSP 2021 (2021
// trace) wherever the data or results from it are shown.
package trace

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ErrMalformed is what every *ParseError wraps: the input is not a trace
// file of the expected kind.
var ErrMalformed = errors.New("malformed trace file")

// ParseError reports malformed input and where it is.
type ParseError struct {
	File string
	// Line is 1-based (the header is line 1).
	Line int
	// Column is 1-based; 0 when the problem is the whole row.
	Column int
	// Field names the column, when known.
	Field string
	Err   error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	if e.Column > 0 {
		fmt.Fprintf(&b, "column %d", e.Column)
		if e.Field != "" {
			fmt.Fprintf(&b, " (%s)", clip(e.Field))
		}
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrMalformed) hold, and reaches the cause.
func (e *ParseError) Unwrap() []error { return []error{ErrMalformed, e.Err} }

// clip keeps echoed input short in error messages.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// newBufferedReader reads a trace file in large blocks.
func newBufferedReader(r io.Reader) io.Reader { return bufio.NewReaderSize(r, 1<<20) }

// firstLine returns the first line of r without its line ending and without
// a UTF-8 byte-order mark; "" for an empty file. It reads at most 1 MiB, so
// a file without line breaks is not read whole.
func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, 1<<20), 64<<10).ReadString('\n')
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	return strings.TrimPrefix(line, "\ufeff"), nil
}

// table reads a CSV file with a header row, one record at a time, and turns
// what is wrong with it into *ParseError values with positions.
type table struct {
	name   string
	cr     *csv.Reader
	header []string
	// rec is the current record; it is reused by the next call to next.
	rec []string
}

// newTable reads the header of a CSV file. Every later row must have as
// many fields as the header.
func newTable(r io.Reader, name string) (*table, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	t := &table{name: name, cr: cr}
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, &ParseError{File: name, Line: 1, Err: errors.New("the file is empty; want a header row")}
	}
	if err != nil {
		return nil, t.csvError(err)
	}
	t.header = slices.Clone(rec)
	if len(t.header) > 0 {
		t.header[0] = strings.TrimPrefix(t.header[0], "\ufeff")
	}
	return t, nil
}

// expectHeader checks that the header starts with names.
func (t *table) expectHeader(names ...string) error {
	for i, want := range names {
		got := "no column"
		if i < len(t.header) {
			if t.header[i] == want {
				continue
			}
			got = strconv.Quote(clip(t.header[i]))
		}
		return &ParseError{File: t.name, Line: 1, Column: i + 1, Field: want, Err: fmt.Errorf("header has %s where %q is expected", got, want)}
	}
	return nil
}

// next reads the next record into t.rec; io.EOF after the last.
func (t *table) next() error {
	rec, err := t.cr.Read()
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return t.csvError(err)
	}
	t.rec = rec
	return nil
}

// csvError turns an encoding/csv error into a *ParseError.
func (t *table) csvError(err error) error {
	var ce *csv.ParseError
	if !errors.As(err, &ce) {
		return &ParseError{File: t.name, Line: max(1, t.lineOr(1)), Err: err}
	}
	line := max(1, ce.StartLine)
	if errors.Is(ce.Err, csv.ErrFieldCount) {
		return &ParseError{File: t.name, Line: line, Err: fmt.Errorf("the row has a different number of fields than the header (%d)", len(t.header))}
	}
	return &ParseError{File: t.name, Line: line, Column: max(0, ce.Column), Err: ce.Err}
}

// line is the 1-based line of the current record.
func (t *table) line() int { return t.lineOr(1) }

func (t *table) lineOr(def int) int {
	if t.rec == nil {
		return def
	}
	line, _ := t.cr.FieldPos(0)
	return max(1, line)
}

// fail reports a problem with column col (0-based) of the current record.
func (t *table) fail(col int, format string, args ...any) error {
	e := &ParseError{File: t.name, Line: t.line(), Column: col + 1, Err: fmt.Errorf(format, args...)}
	if col < len(t.header) {
		e.Field = t.header[col]
	}
	return e
}

// str returns column col, which must not be empty. The string points into
// the reader's buffer: clone what is kept.
func (t *table) str(col int) (string, error) {
	s := t.rec[col]
	if s == "" {
		return "", t.fail(col, "the value is empty")
	}
	return s, nil
}

// float parses column col as a finite, non-negative number.
func (t *table) float(col int) (float64, error) {
	s := t.rec[col]
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, t.fail(col, "%q is not a number", clip(s))
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, t.fail(col, "%q is not a finite number", clip(s))
	case v < 0:
		return 0, t.fail(col, "%q is negative", clip(s))
	}
	return v, nil
}

// count parses column col as a whole, non-negative number.
func (t *table) count(col int) (int64, error) {
	s := t.rec[col]
	v, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return 0, t.fail(col, "%q is not a whole number", clip(s))
	case v < 0:
		return 0, t.fail(col, "%q is negative", clip(s))
	}
	return v, nil
}
