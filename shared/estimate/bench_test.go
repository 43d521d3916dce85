package estimate_test

import (
	"context"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/estimate"
	"github.com/fiso-dev/fiso/shared/pricebook"
	"github.com/fiso-dev/fiso/shared/store/embedded"
)

// BenchmarkEstimate is what a learning strategy adds to a call: the
// estimates of three deployments (two with models, one from recent calls),
// each priced at its median and p95 on the card in force.
func BenchmarkEstimate(b *testing.B) {
	st, err := embedded.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for _, d := range []string{aws.ID, gcp.ID} {
		m := fitted(b, 400, 60, now)
		m.Deployment = d
		if _, err := st.PutModel(context.Background(), m, 0); err != nil {
			b.Fatal(err)
		}
	}
	azure := aws
	azure.ID, azure.Provider, azure.Region = "azure-eastus", "azure", "eastus"
	f := fn
	f.Deployments = append(f.Deployments, azure)
	e := estimate.New(st, pricebook.New(st, time.Hour, func() time.Time { return now }), estimate.Options{ModelTTL: time.Hour, Now: func() time.Time { return now }})
	for _, d := range f.Deployments {
		e.Observe(f.Name, d, estimate.Observation{At: now.Add(-time.Minute), DurationMs: 60, Answered: true})
	}
	q := estimate.Query{Now: now, UserRegion: "us-east-1", PayloadBytes: 512}
	ctx := context.Background()
	if got := e.Estimate(ctx, f, q); len(got) != 3 {
		b.Fatalf("estimates = %d, want 3", len(got))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.Estimate(ctx, f, q)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/3, "ns/deployment")
}
