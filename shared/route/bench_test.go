package route

import (
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/testenv"
)

// BenchmarkStaticPlan is the strategy alone: ordering a function's
// deployments under a policy.
func BenchmarkStaticPlan(b *testing.B) {
	f := fn("aws-east", "gcp-central", "azure-eastus", "aws-west", "gcp-west")
	pol := policy.Policy{Name: "p", Strategy: policy.Static, DefaultProvider: catalog.GCP, Failover: []catalog.Provider{catalog.AWS, catalog.Azure}}
	r := NewRouter(nil)
	req := Request{Function: f, Policy: &pol, Now: time.Now()}
	lat := testenv.NewLatencies(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if _, err := r.Plan(req); err != nil {
			b.Fatal(err)
		}
		lat.Add(time.Since(t0))
	}
	lat.Report(b)
}
