package store

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
)

func ptr[T any](v T) *T { return &v }

func TestCostDeltas(t *testing.T) {
	failover := invocation.Record{
		ID: "r1", FunctionName: "checkout", Team: "shop", KeyID: "key-a",
		Provider: catalog.GCP, Region: "europe-west1", ErrorOccurred: true,
		CostUSD: ptr(0.000003), BaselineCostUSD: ptr(0.000004),
		Tags: map[string]string{"env": "prod", "app": "checkout"},
		Attempts: []invocation.Attempt{
			{Provider: catalog.AWS, Region: "us-east-1", Outcome: invocation.Failed, CostUSD: ptr(0.000001)},
			{Provider: catalog.AWS, Region: "eu-west-1", Outcome: invocation.Timeout},
			{Provider: catalog.GCP, Region: "europe-west1", Outcome: invocation.OK, CostUSD: ptr(0.000002)},
		},
	}
	whole := CostDelta{PicoUSD: 3_000_000, Invocations: 1, Errors: 1, BaselinePicoUSD: 4_000_000, BaselineCalls: 1, SavedPicoUSD: 1_000_000}
	with := func(dim Dimension, value string, d CostDelta) CostDelta {
		d.Dimension, d.Value = dim, value
		return d
	}
	for _, tc := range []struct {
		name string
		r    invocation.Record
		want []CostDelta
	}{
		{"failover across clouds and regions", failover, []CostDelta{
			with(ByFunction, "checkout", whole), with(ByTeam, "shop", whole), with(ByDay, AllCalls, whole), with(ByKey, "key-a", whole),
			with(ByTag, "app=checkout", whole), with(ByTag, "env=prod", whole),
			// The answering provider first, with the invocation and the
			// baseline; then the others that billed.
			{Dimension: ByProvider, Value: "gcp", PicoUSD: 2_000_000, Invocations: 1, Errors: 1, BaselinePicoUSD: 4_000_000, BaselineCalls: 1, SavedPicoUSD: 1_000_000},
			{Dimension: ByProvider, Value: "aws", PicoUSD: 1_000_000},
			{Dimension: ByRegion, Value: "europe-west1", PicoUSD: 2_000_000, Invocations: 1, Errors: 1, BaselinePicoUSD: 4_000_000, BaselineCalls: 1, SavedPicoUSD: 1_000_000},
			{Dimension: ByRegion, Value: "us-east-1", PicoUSD: 1_000_000},
		}},
		{"nothing tried, no key, no team, unpriced", invocation.Record{ID: "r2", FunctionName: "f"}, []CostDelta{
			{Dimension: ByFunction, Value: "f", Invocations: 1, Unpriced: 1},
			{Dimension: ByTeam, Value: NoTeam, Invocations: 1, Unpriced: 1},
			{Dimension: ByDay, Value: AllCalls, Invocations: 1, Unpriced: 1},
			{Dimension: ByKey, Value: NoKey, Invocations: 1, Unpriced: 1},
			{Dimension: ByProvider, Value: NoProvider, Invocations: 1, Unpriced: 1},
			{Dimension: ByRegion, Value: NoRegion, Invocations: 1, Unpriced: 1},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, CostDeltas(tc.r)); d != "" {
				t.Errorf("CostDeltas mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestCostDeltasCountOnlyTagsAStoreCanKey(t *testing.T) {
	tags := map[string]string{"Bad Key": "x", "bad": "a#b c", "empty": ""}
	for i := range 12 {
		tags["k"+strconv.Itoa(10+i)] = "v"
	}
	var got []string
	for _, d := range CostDeltas(invocation.Record{ID: "r", FunctionName: "f", Tags: tags}) {
		if d.Dimension == ByTag {
			got = append(got, d.Value)
		}
	}
	want := []string{"k10=v", "k11=v", "k12=v", "k13=v", "k14=v", "k15=v", "k16=v", "k17=v", "k18=v", "k19=v"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("tag groups mismatch (-want +got):\n%s", d)
	}
}

func TestHourlyDeltas(t *testing.T) {
	r := invocation.Record{ID: "r", FunctionName: "f", CostUSD: ptr(0.5), Team: ""}
	want := []CostDelta{
		{Dimension: ByFunction, Value: "f", PicoUSD: 500_000_000_000, Invocations: 1},
		{Dimension: ByTeam, Value: NoTeam, PicoUSD: 500_000_000_000, Invocations: 1},
		{Dimension: ByDay, Value: AllCalls, PicoUSD: 500_000_000_000, Invocations: 1},
	}
	if d := cmp.Diff(want, HourlyDeltas(r)); d != "" {
		t.Errorf("HourlyDeltas mismatch (-want +got):\n%s", d)
	}
	for _, d := range HourlyDeltas(r) {
		found := false
		for _, h := range HourlyDimensions() {
			found = found || h == d.Dimension
		}
		if !found {
			t.Errorf("HourlyDeltas counts under %s, which HourlyDimensions does not list", d.Dimension)
		}
	}
}

func TestHourlyRange(t *testing.T) {
	from := time.Date(2031, 1, 31, 22, 45, 0, 0, time.FixedZone("x", 90*60))
	first, end, err := HourlyRange(ByFunction, "f", from, from.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2031, 1, 31, 21, 0, 0, 0, time.UTC); first != want {
		t.Errorf("first = %v, want %v", first, want)
	}
	if want := time.Date(2031, 2, 1, 0, 0, 0, 0, time.UTC); end != want {
		t.Errorf("end = %v, want %v", end, want)
	}
	_, _, err = HourlyRange(ByProvider, "", from, from)
	var fe *fault.Error
	if !errors.As(err, &fe) || !errors.Is(err, fault.ErrInvalid) || len(fe.Violations) != 3 {
		t.Fatalf("HourlyRange(provider, empty value, empty range) = %v, want 3 violations", err)
	}
	if !strings.Contains(fe.Detail, "function, team, day") {
		t.Errorf("detail %q does not name the hourly dimensions", fe.Detail)
	}
}

func TestDaysNamesEveryDimension(t *testing.T) {
	_, err := CostQuery{From: time.Now(), To: time.Now().AddDate(0, 0, 1), GroupBy: "country"}.Days()
	if want := "provider, function, team, day, key, region, tag"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Days: got %v, want an error naming %q", err, want)
	}
}

func TestHours(t *testing.T) {
	var h Hours
	at := time.Date(2031, 1, 31, 23, 0, 0, 0, time.UTC)
	h.Add(at.Add(time.Hour), 2_000_000, 1)
	h.Add(at.Add(30*time.Minute), 1_000_000, 1)
	h.Add(at, 500_000, 2)
	h.Add(at.Add(2*time.Hour), 0, 0) // nothing counted: no hour
	want := []HourlyCost{
		{Hour: at, CostUSD: 0.0000015, Invocations: 3},
		{Hour: at.Add(time.Hour), CostUSD: 0.000002, Invocations: 1},
	}
	if d := cmp.Diff(want, h.Rows()); d != "" {
		t.Errorf("Rows mismatch (-want +got):\n%s", d)
	}
}
