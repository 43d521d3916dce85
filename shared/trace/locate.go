package trace

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Format is a trace format.
type Format string

// Formats.
const (
	Azure2019 Format = "azure2019"
	Azure2021 Format = "azure2021"
)

// Kind is what one trace file holds, recognised by its header.
type Kind string

// Kinds.
const (
	KindInvocations2019 Kind = "invocations (2019)"
	KindDurations2019   Kind = "durations (2019)"
	KindMemory2019      Kind = "memory (2019)"
	KindInvocations2021 Kind = "invocations (2021)"
)

// ErrNoTrace reports a path that holds no trace this package reads.
var ErrNoTrace = errors.New("no trace found")

// Source is a located trace.
type Source struct {
	Format Format
	// Day holds the 2019 files; File2021 the 2021 file.
	Day      Files2019
	File2021 string
}

// Classify recognises a trace file by its header. It returns "" for a file
// of no known kind.
func Classify(path string) (Kind, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("classify trace file: %w", err)
	}
	defer f.Close()
	h, err := firstLine(f)
	if err != nil {
		return "", fmt.Errorf("classify trace file %s: %w", path, err)
	}
	switch {
	case strings.HasPrefix(h, "HashOwner,HashApp,HashFunction,Trigger,"):
		return KindInvocations2019, nil
	case strings.HasPrefix(h, "HashOwner,HashApp,HashFunction,Average,Count,"):
		return KindDurations2019, nil
	case strings.HasPrefix(h, "HashOwner,HashApp,") && strings.Contains(h, ",SampleCount,AverageAllocatedMb"):
		return KindMemory2019, nil
	case h == "app,func,end_timestamp,duration":
		return KindInvocations2021, nil
	}
	return "", nil
}

// Locate finds a trace at arg: a directory holding one day of the 2019 trace
// (its invocations, durations and memory files, under any names: the files
// are recognised by their headers) or one 2021 file; a 2021 file; or the
// three 2019 files separated by commas, in any order.
func Locate(arg string) (Source, error) {
	if arg == "" {
		return Source{}, fmt.Errorf("locate trace: no path given: %w", ErrNoTrace)
	}
	var paths []string
	if strings.Contains(arg, ",") {
		paths = strings.Split(arg, ",")
	} else {
		st, err := os.Stat(arg)
		if err != nil {
			return Source{}, fmt.Errorf("locate trace: %w", err)
		}
		if !st.IsDir() {
			paths = []string{arg}
		} else {
			entries, err := os.ReadDir(arg)
			if err != nil {
				return Source{}, fmt.Errorf("locate trace: %w", err)
			}
			for _, e := range entries {
				if e.Type().IsRegular() && strings.EqualFold(filepath.Ext(e.Name()), ".csv") {
					paths = append(paths, filepath.Join(arg, e.Name()))
				}
			}
		}
	}
	found := map[Kind][]string{}
	var unknown []string
	for _, p := range paths {
		k, err := Classify(p)
		if err != nil {
			return Source{}, err
		}
		if k == "" {
			unknown = append(unknown, p)
			continue
		}
		found[k] = append(found[k], p)
	}
	for k, ps := range found {
		if len(ps) > 1 {
			slices.Sort(ps)
			return Source{}, fmt.Errorf("locate trace in %s: %d %s files (%s); name the files of one day, separated by commas", arg, len(ps), k, strings.Join(ps, ", "))
		}
	}
	n2019 := len(found[KindInvocations2019]) + len(found[KindDurations2019]) + len(found[KindMemory2019])
	switch {
	case len(found[KindInvocations2021]) == 1 && n2019 == 0:
		return Source{Format: Azure2021, File2021: found[KindInvocations2021][0]}, nil
	case len(found[KindInvocations2021]) == 1:
		return Source{}, fmt.Errorf("locate trace in %s: both 2019 and 2021 files; give one trace", arg)
	case n2019 == 3:
		return Source{Format: Azure2019, Day: Files2019{
			Invocations: found[KindInvocations2019][0],
			Durations:   found[KindDurations2019][0],
			Memory:      found[KindMemory2019][0],
		}}, nil
	case n2019 > 0:
		var missing []string
		for _, k := range []Kind{KindInvocations2019, KindDurations2019, KindMemory2019} {
			if len(found[k]) == 0 {
				missing = append(missing, string(k))
			}
		}
		return Source{}, fmt.Errorf("locate trace in %s: a 2019 day needs three files; missing %s", arg, strings.Join(missing, " and "))
	}
	msg := "no file with a 2019 or 2021 Azure Functions trace header"
	if len(unknown) > 0 {
		msg += fmt.Sprintf(" (unrecognised: %s)", strings.Join(unknown, ", "))
	}
	return Source{}, fmt.Errorf("locate trace in %s: %s: %w", arg, msg, ErrNoTrace)
}
