package recommend

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/store"
	"github.com/fiso-dev/fiso/shared/store/embedded"
)

// TestSameReportFromTheStore runs the engine over the embedded store, the
// one FISO reads in production paths, with the log of a constructed
// scenario, and over the in-memory log the other tests use: the reports
// must be identical, so that what the other tests prove holds for the real
// reader (its paging, ordering and window bounds) too.
func TestSameReportFromTheStore(t *testing.T) {
	fl := newFakeLog()
	orders := function("orders", awsEast, gcpCentr, azEast)
	orders.ActivePolicy = "orders-static"
	fl.functions = []catalog.Function{orders, function("ghost", awsSmall)}
	fl.policies["orders-static"] = staticPolicy("orders-static", "orders", catalog.AWS, catalog.GCP)
	fl.log("orders", now, span,
		calls{d: awsEast, n: 1500, latencyMs: 130, billedMs: 120},
		calls{d: gcpCentr, n: 1200, latencyMs: 60})

	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for _, f := range fl.functions {
		f.ActivePolicy, f.UpdatedAt = "", f.CreatedAt // the store sets CreatedAt from it
		if _, _, err := st.PutFunction(ctx, f, store.AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range fl.policies {
		p.IsActive, p.UpdatedAt = false, now.AddDate(0, -1, 0)
		if _, _, err := st.PutPolicy(ctx, p, store.AnyVersion); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ActivatePolicy(ctx, p.Name, now.AddDate(0, -1, 0)); err != nil {
			t.Fatal(err)
		}
	}
	for _, recs := range fl.records {
		for _, r := range recs {
			r.ExpiresAt = now.AddDate(0, 1, 0)
			if err := st.PutInvocation(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	opts := Options{}
	fromStore, err := New(st, defaultCards{}, nil, opts).Recommend(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	fromMemory := recommend(t, fl, nil, opts)
	if len(fromStore.Recommendations) < 2 {
		t.Fatalf("the scenario should give move-default and remove-idle recommendations, got %+v", fromStore)
	}
	for _, kind := range []string{KindMoveDefault, KindRemoveIdle} {
		found := false
		for _, r := range fromStore.Recommendations {
			found = found || r.Kind == kind
		}
		if !found {
			t.Errorf("no %s recommendation from the store: %+v", kind, fromStore.Recommendations)
		}
	}
	a, _ := json.MarshalIndent(fromStore, "", " ")
	b, _ := json.MarshalIndent(fromMemory, "", " ")
	if string(a) != string(b) {
		t.Errorf("reports differ:\nfrom the store:\n%s\nfrom memory:\n%s", a, b)
	}
}
