package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/store"
)

type opener = func(t *testing.T) store.Store

// checkErr fails the test unless err is of the wanted kind (nil: success).
// Errors of a fault kind must carry a detail an API user can read.
func checkErr(t *testing.T, op string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%s: got error %v, want success", op, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", op, err, want)
	}
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Detail == "" {
		t.Errorf("%s: error %q carries no *fault.Error with a detail for the API user", op, err)
	}
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

func function(name string) catalog.Function {
	return catalog.Function{
		Name:        name,
		Description: "resizes images",
		// Deliberately not in any sorted order: a store must keep it.
		Deployments: []catalog.Deployment{
			{ID: "gcp-us-central1", Provider: catalog.GCP, Region: "us-central1", Target: "https://us-central1-proj.cloudfunctions.net/" + name, MemoryMB: 1024, Arch: catalog.X86_64, CredentialRef: "secretsmanager:fiso/gcp-sa"},
			{ID: "aws-eu-west-1", Provider: catalog.AWS, Region: "eu-west-1", Target: "arn:aws:lambda:eu-west-1:123456789012:function:" + name + ":live", MemoryMB: 512, Arch: catalog.ARM64},
			{ID: "azure-westeurope", Provider: catalog.Azure, Region: "westeurope", Target: "https://" + name + ".azurewebsites.net/api/run", Arch: catalog.X86_64, CredentialRef: "env:FISO_SECRET_AZURE_FUNCTION_KEY"},
		},
		UpdatedAt: Now().Add(-time.Hour),
	}
}

func newPolicy(name, fn string) policy.Policy {
	return policy.Policy{
		Name:            name,
		Function:        fn,
		Strategy:        policy.Static,
		DefaultProvider: catalog.AWS,
		DefaultTarget:   "arn:aws:lambda:eu-west-1:123456789012:function:" + fn + ":live",
		Failover:        []catalog.Provider{catalog.Azure, catalog.GCP},
		UpdatedAt:       Now().Add(-time.Hour),
	}
}

func newKey(t *testing.T, plaintext, name string) apikey.Key {
	t.Helper()
	k, err := apikey.New(plaintext, name, apikey.Invoker, "imaging", Now().Add(-time.Minute))
	if err != nil {
		t.Fatalf("apikey.New(%q): %v", name, err)
	}
	return k
}

func ptr[T any](v T) *T { return &v }

// record is a complete invocation record: every optional field set, so that
// a round trip shows any field a store forgets.
func record(id, fn, keyID string, ts time.Time) invocation.Record {
	return invocation.Record{
		ID:                id,
		Timestamp:         ts,
		FunctionName:      fn,
		Provider:          catalog.AWS,
		Region:            "eu-west-1",
		DeploymentID:      "aws-eu-west-1",
		RequestSizeBytes:  2048,
		ResponseSizeBytes: 512,
		ExecutionTimeMs:   41.25,
		TotalTimeMs:       1042.125,
		ColdStart:         ptr(true),
		StatusCode:        200,
		DayOfWeek:         invocation.Weekday(ts),
		HourOfDay:         ts.UTC().Hour(),
		UserRegion:        "eu-central-1",
		KeyID:             keyID,
		Team:              "imaging",
		Decision: invocation.Decision{
			Policy:   "prefer-aws",
			Strategy: "static",
			Reason:   "default provider aws",
			Candidates: []invocation.Candidate{
				{DeploymentID: "gcp-us-central1", Provider: catalog.GCP, Region: "us-central1", Reason: "default", PredictedLatencyMs: ptr(12.5), PredictedCostUSD: ptr(0.0000021), ColdStartRisk: ptr(0.25), Score: ptr(-3.5)},
				{DeploymentID: "aws-eu-west-1", Provider: catalog.AWS, Region: "eu-west-1", Reason: "failover"},
			},
		},
		Attempts: []invocation.Attempt{
			{DeploymentID: "gcp-us-central1", Provider: catalog.GCP, Region: "us-central1", StartedAt: ts, DurationMs: 1000.875, Outcome: invocation.Timeout, ErrorKind: "timeout", Error: "context deadline exceeded"},
			{DeploymentID: "aws-eu-west-1", Provider: catalog.AWS, Region: "eu-west-1", StartedAt: ts.Add(1000875 * time.Microsecond), DurationMs: 41.25, Outcome: invocation.OK, StatusCode: 200, ColdStart: ptr(false),
				RequestID: "8f5c1a7e-0d2b-4c1e-9a55-3b1f2e4d6c7a", CostUSD: ptr(0.0000166667), BilledDurationMs: 42, BilledMemoryMB: 1024},
		},
		CostUSD:          ptr(0.0000166667),
		BilledDurationMs: 42,
		BilledMemoryMB:   1024,
		RateCardVersion:  "3f2a9c1d",
		CostSource:       invocation.CostReported,
		ExpiresAt:        Now().Add(30 * 24 * time.Hour),
	}
}

func putFunction(t *testing.T, s store.Store, f catalog.Function) catalog.Function {
	t.Helper()
	got, _, err := s.PutFunction(t.Context(), f, store.AnyVersion)
	if err != nil {
		t.Fatalf("PutFunction(%q): %v", f.Name, err)
	}
	return got
}

func putPolicy(t *testing.T, s store.Store, p policy.Policy) policy.Policy {
	t.Helper()
	got, _, err := s.PutPolicy(t.Context(), p, store.AnyVersion)
	if err != nil {
		t.Fatalf("PutPolicy(%q): %v", p.Name, err)
	}
	return got
}

func activate(t *testing.T, s store.Store, name string) policy.Policy {
	t.Helper()
	got, err := s.ActivatePolicy(t.Context(), name, Now())
	if err != nil {
		t.Fatalf("ActivatePolicy(%q): %v", name, err)
	}
	return got
}

func getFunction(t *testing.T, s store.Store, name string) catalog.Function {
	t.Helper()
	got, err := s.GetFunction(t.Context(), name)
	if err != nil {
		t.Fatalf("GetFunction(%q): %v", name, err)
	}
	return got
}

func getPolicy(t *testing.T, s store.Store, name string) policy.Policy {
	t.Helper()
	got, err := s.GetPolicy(t.Context(), name)
	if err != nil {
		t.Fatalf("GetPolicy(%q): %v", name, err)
	}
	return got
}

func putInvocation(t *testing.T, s store.Store, r invocation.Record) {
	t.Helper()
	if err := s.PutInvocation(t.Context(), r); err != nil {
		t.Fatalf("PutInvocation(%q): %v", r.ID, err)
	}
}

// checkActive checks the activation state from both sides: the policy's flag
// and its function's ActivePolicy.
func checkActive(t *testing.T, s store.Store, fn string, active string, inactive ...string) {
	t.Helper()
	if got := getFunction(t, s, fn).ActivePolicy; got != active {
		t.Errorf("function %q ActivePolicy: got %q, want %q", fn, got, active)
	}
	if active != "" && !getPolicy(t, s, active).IsActive {
		t.Errorf("policy %q IsActive: got false, want true", active)
	}
	for _, name := range inactive {
		if getPolicy(t, s, name).IsActive {
			t.Errorf("policy %q IsActive: got true, want false", name)
		}
	}
}

func names[T any](items []T, name func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = name(it)
	}
	return out
}

func describe(p *invocation.Position) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s/%s/%s", p.Function, invocation.SortKeyTime(p.Time), p.ID)
}
