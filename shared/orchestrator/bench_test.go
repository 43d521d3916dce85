package orchestrator

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/pricebook"
	"github.com/fiso-dev/fiso/shared/route"
	"github.com/fiso-dev/fiso/shared/store"
	"github.com/fiso-dev/fiso/shared/store/cached"
	"github.com/fiso-dev/fiso/shared/store/embedded"
	"github.com/fiso-dev/fiso/shared/testenv"
)

func benchService(b *testing.B) *Service { return benchServiceWith(b, nil) }

// benchServiceWith builds the bench service; configure may add to its
// options (budgets) with the store at hand.
func benchServiceWith(b *testing.B, configure func(st *embedded.Store, o *Options)) *Service {
	st, err := embedded.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	ctx, now := context.Background(), time.Now()
	f := catalog.Function{Name: "sample", UpdatedAt: now, Deployments: []catalog.Deployment{
		{Provider: catalog.AWS, Region: "us-east-1", Target: "fiso-sample"},
		{Provider: catalog.GCP, Region: "us-central1", Target: "https://g.example/"},
		{Provider: catalog.Azure, Region: "eastus", Target: "https://a.example/api/sample"},
	}}
	f.Normalize()
	if _, _, err := st.PutFunction(ctx, f, store.AnyVersion); err != nil {
		b.Fatal(err)
	}
	p := policy.Policy{Name: "saver", Function: "sample", Strategy: policy.Static, DefaultProvider: catalog.GCP,
		Failover: []catalog.Provider{catalog.AWS, catalog.Azure}, UpdatedAt: now}
	if _, _, err := st.PutPolicy(ctx, p, store.AnyVersion); err != nil {
		b.Fatal(err)
	}
	if _, err := st.ActivatePolicy(ctx, "saver", now); err != nil {
		b.Fatal(err)
	}
	c := cached.New(st, time.Hour, nil)
	inv := nopInvoker{}
	opts := Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Pricer: pricebook.New(nil, time.Hour, nil)}
	if configure != nil {
		configure(st, &opts)
	}
	return New(c, nopRecorder{}, route.NewRouter(nil), map[catalog.Provider]Invoker{catalog.AWS: inv, catalog.GCP: inv, catalog.Azure: inv}, opts)
}

type nopInvoker struct{}

func (nopInvoker) Invoke(context.Context, catalog.Deployment, []byte) (cloud.Response, error) {
	return cloud.Response{StatusCode: 200, Body: []byte(`{}`)}, nil
}

type nopRecorder struct{}

func (nopRecorder) PutInvocation(context.Context, invocation.Record) error { return nil }

// BenchmarkRoutingDecision is the routing decision on the request path with
// warm caches: read the function and its active policy, and plan. Target:
// p99 <= 20 µs.
func BenchmarkRoutingDecision(b *testing.B) {
	svc := benchService(b)
	ctx := context.Background()
	lat := testenv.NewLatencies(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		fn, pol, err := svc.resolve(ctx, "sample")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.planner.Plan(route.Request{Function: fn, Policy: pol, Now: t0}); err != nil {
			b.Fatal(err)
		}
		lat.Add(time.Since(t0))
	}
	lat.Report(b)
}

// BenchmarkInvokeInProcess is a whole invocation without the network: routing,
// the attempt loop with its circuit breaker, pricing, and building the record.
func BenchmarkInvokeInProcess(b *testing.B) {
	svc := benchService(b)
	ctx := context.Background()
	lat := testenv.NewLatencies(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if _, err := svc.Invoke(ctx, Call{Function: "sample", Payload: []byte(`{}`)}); err != nil {
			b.Fatal(err)
		}
		lat.Add(time.Since(t0))
	}
	lat.Report(b)
}

// BenchmarkBudgetEnforcement is what holding calls to budgets adds to an
// in-process invocation on the embedded store: the budgets that apply
// (cached), one reservation and one settlement, each a bbolt transaction
// over every budget's counter. Compare its p50/p99 with "no budgets".
func BenchmarkBudgetEnforcement(b *testing.B) {
	for _, n := range []int{0, 1, 3} {
		b.Run(fmt.Sprintf("budgets=%d", n), func(b *testing.B) {
			svc := benchServiceWith(b, func(st *embedded.Store, o *Options) {
				now := time.Now()
				for _, bg := range []budget.Budget{
					{Scope: budget.Function, ID: "sample", Period: budget.Month, LimitUSD: 1e6, UpdatedAt: now},
					{Scope: budget.Team, ID: "payments", Period: budget.Day, LimitUSD: 1e6, UpdatedAt: now},
					{Scope: budget.Global, ID: budget.GlobalID, Period: budget.Month, LimitUSD: 1e6, UpdatedAt: now},
				}[:n] {
					bg.Normalize()
					if _, _, err := st.PutBudget(context.Background(), bg, store.AnyVersion); err != nil {
						b.Fatal(err)
					}
				}
				o.Budgets = budget.NewGuard(st, nil, budget.GuardOptions{CacheTTL: time.Hour, Logger: o.Logger})
			})
			ctx := context.Background()
			lat := testenv.NewLatencies(1 << 20)
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				if _, err := svc.Invoke(ctx, Call{Function: "sample", Team: "payments", Payload: []byte(`{}`)}); err != nil {
					b.Fatal(err)
				}
				lat.Add(time.Since(t0))
			}
			lat.Report(b)
		})
	}
}
