package awslambda

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Report is the REPORT line Lambda writes at the end of every invocation's
// log: what was measured and billed. Durations are rounded to the
// nanosecond; memory is in MB.
type Report struct {
	RequestID       string
	Duration        time.Duration
	BilledDuration  time.Duration
	MemorySizeMB    int
	MaxMemoryUsedMB int
	// InitDuration is set on a cold start of an on-demand instance (the
	// line has "Init Duration"); HasInit says whether it was present, since
	// an init can round to 0.00 ms.
	InitDuration time.Duration
	HasInit      bool
	// RestoreDuration is set when a SnapStart function was restored from a
	// snapshot, which is its kind of cold start.
	RestoreDuration time.Duration
	HasRestore      bool
	// Status is "timeout", "error" ... when the line reports one.
	Status string
}

// ColdStart reports whether the invocation started a new execution
// environment: an init phase, or a SnapStart restore.
func (r Report) ColdStart() bool { return r.HasInit || r.HasRestore }

// Limits that keep parsed values meaningful: no invocation lasts more than
// 15 minutes (init phases are shorter still) and no function has more than
// 10 GB, so anything far beyond is a garbled line, not a measurement.
const (
	maxReportDuration = 24 * time.Hour
	maxReportMemoryMB = 1 << 20
)

const reportPrefix = "REPORT RequestId: "

// ParseReport finds the last REPORT line in an invocation's log (such as the
// decoded X-Amz-Log-Result tail) and parses it. ok is false when the log
// holds no REPORT line, or the last one is garbled.
//
// The line's fields are tab-separated "Name: value unit" pairs:
//
//	REPORT RequestId: 8f5e...\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 120.50 ms\t
//
// Fields it does not know (XRAY trace IDs, Billed Restore Duration ...) are
// skipped, so a new field in the service's format does not hide the rest.
func ParseReport(log string) (r Report, ok bool) {
	i := strings.LastIndex(log, reportPrefix)
	if i < 0 || (i > 0 && log[i-1] != '\n') {
		return Report{}, false
	}
	line := log[i+len(reportPrefix):]
	if j := strings.IndexAny(line, "\r\n"); j >= 0 {
		line = line[:j]
	}
	fields := strings.Split(line, "\t")
	r.RequestID = strings.TrimSpace(fields[0])
	if r.RequestID == "" {
		return Report{}, false
	}
	var seenDuration bool
	for _, f := range fields[1:] {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, value, found := strings.Cut(f, ": ")
		if !found {
			continue
		}
		var err error
		switch name {
		case "Duration":
			r.Duration, err = parseMillis(value)
			seenDuration = err == nil
		case "Billed Duration":
			r.BilledDuration, err = parseMillis(value)
		case "Init Duration":
			r.InitDuration, err = parseMillis(value)
			r.HasInit = err == nil
		case "Restore Duration":
			r.RestoreDuration, err = parseMillis(value)
			r.HasRestore = err == nil
		case "Memory Size":
			r.MemorySizeMB, err = parseMB(value)
		case "Max Memory Used":
			r.MaxMemoryUsedMB, err = parseMB(value)
		case "Status":
			r.Status = value
		}
		if err != nil {
			return Report{}, false
		}
	}
	if !seenDuration {
		return Report{}, false
	}
	return r, true
}

// String writes r as the service does, so that parsing it gives r back.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s\tDuration: %s ms\tBilled Duration: %s ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		reportPrefix, r.RequestID, formatMillis(r.Duration), formatMillis(r.BilledDuration), r.MemorySizeMB, r.MaxMemoryUsedMB)
	if r.HasInit {
		fmt.Fprintf(&b, "Init Duration: %s ms\t", formatMillis(r.InitDuration))
	}
	if r.HasRestore {
		fmt.Fprintf(&b, "Restore Duration: %s ms\t", formatMillis(r.RestoreDuration))
	}
	if r.Status != "" {
		fmt.Fprintf(&b, "Status: %s", r.Status)
	}
	return b.String()
}

var errGarbled = errors.New("garbled REPORT field")

// parseMillis parses "12.34 ms" to the nearest nanosecond.
func parseMillis(v string) (time.Duration, error) {
	num, ok := strings.CutSuffix(v, " ms")
	if !ok || num == "" || strings.ContainsAny(num, "eEpPxX_+-") {
		return 0, errGarbled
	}
	ms, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(ms) || ms < 0 || ms > float64(maxReportDuration/time.Millisecond) {
		return 0, errGarbled
	}
	return time.Duration(math.Round(ms * float64(time.Millisecond))), nil
}

func formatMillis(d time.Duration) string {
	ms := d / time.Millisecond
	frac := d % time.Millisecond
	if frac == 0 {
		return strconv.FormatInt(int64(ms), 10)
	}
	return strings.TrimRight(fmt.Sprintf("%d.%06d", ms, frac), "0")
}

// parseMB parses "128 MB".
func parseMB(v string) (int, error) {
	num, ok := strings.CutSuffix(v, " MB")
	if !ok {
		return 0, errGarbled
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > maxReportMemoryMB || strings.HasPrefix(num, "+") {
		return 0, errGarbled
	}
	return n, nil
}
