package recommend

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/pricing"
)

// fakeLog is the catalog, the policies and the invocation log in memory.
type fakeLog struct {
	functions []catalog.Function
	policies  map[string]policy.Policy
	records   map[string][]invocation.Record
	// pages counts ListInvocations calls; maxLimit is the largest limit
	// asked for.
	pages, maxLimit int
	listErr         error
	byKey           map[string][]keyed
}

func newFakeLog() *fakeLog {
	return &fakeLog{policies: map[string]policy.Policy{}, records: map[string][]invocation.Record{}}
}

func (f *fakeLog) ListFunctions(ctx context.Context) ([]catalog.Function, error) {
	if f.listErr != nil {
		return nil, f.listErr
	}
	return slices.Clone(f.functions), nil
}

func (f *fakeLog) GetPolicy(ctx context.Context, name string) (policy.Policy, error) {
	p, ok := f.policies[name]
	if !ok {
		return policy.Policy{}, fault.NotFound("policy %q does not exist", name)
	}
	return p, nil
}

// ListInvocations pages through one function's records newest first, as the
// stores do: Since inclusive, Until exclusive, after the position given.
func (f *fakeLog) ListInvocations(ctx context.Context, q invocation.Query) (invocation.Page, error) {
	f.pages++
	f.maxLimit = max(f.maxLimit, q.Limit)
	recs := f.sorted(q.Function)
	start := 0
	if q.After != nil {
		after := q.After.SortKey()
		start, _ = slices.BinarySearchFunc(recs, after, func(r keyed, k string) int { return cmp.Compare(k, r.key) })
		if start < len(recs) && recs[start].key == after {
			start++
		}
	}
	var page invocation.Page
	for _, r := range recs[start:] {
		if r.rec.Timestamp.Before(q.Since) || !r.rec.Timestamp.Before(q.Until) {
			continue
		}
		if len(page.Items) == q.Limit {
			last := invocation.PositionOf(page.Items[len(page.Items)-1])
			page.Next = &last
			break
		}
		page.Items = append(page.Items, r.rec)
	}
	return page, nil
}

// keyed is a record with its sort key.
type keyed struct {
	key string
	rec invocation.Record
}

// sorted returns a function's records newest first.
func (f *fakeLog) sorted(fn string) []keyed {
	if f.byKey == nil {
		f.byKey = map[string][]keyed{}
	}
	if ks, ok := f.byKey[fn]; ok && len(ks) == len(f.records[fn]) {
		return ks
	}
	ks := make([]keyed, len(f.records[fn]))
	for i, r := range f.records[fn] {
		ks[i] = keyed{key: invocation.PositionOf(r).SortKey(), rec: r}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return cmp.Compare(b.key, a.key) })
	f.byKey[fn] = ks
	return ks
}

// calls are n calls of one deployment, spread over the last span.
type calls struct {
	d catalog.Deployment
	n int
	// latencyMs is FISO's round trip; billedMs the provider-reported
	// billed duration (0: none, FISO computed it).
	latencyMs, billedMs float64
	// memoryMB is the billed memory (0: the deployment's).
	memoryMB int
	// failed: the attempt failed on the platform (unreachable).
	failed bool
}

func (f *fakeLog) log(fn string, now time.Time, span time.Duration, cs ...calls) {
	for ci, c := range cs {
		for i := range c.n {
			at := now.Add(-time.Duration(i+1) * span / time.Duration(c.n+1))
			a := invocation.Attempt{
				DeploymentID: c.d.ID, Provider: c.d.Provider, Region: c.d.Region, StartedAt: at,
				DurationMs: c.latencyMs, Outcome: invocation.OK, StatusCode: 200,
				CostSource: invocation.CostComputed, BilledMemoryMB: c.memoryMB,
			}
			if a.BilledMemoryMB == 0 {
				a.BilledMemoryMB = configuredMB(c.d)
			}
			if c.billedMs > 0 {
				a.CostSource, a.BilledDurationMs = invocation.CostReported, c.billedMs
			}
			if c.failed {
				a.Outcome, a.ErrorKind, a.StatusCode, a.BilledMemoryMB, a.CostSource = invocation.Failed, "unreachable", 0, 0, ""
			}
			f.records[fn] = append(f.records[fn], invocation.Record{
				ID: fmt.Sprintf("%s-%d-%06d", c.d.ID, ci, i), Timestamp: at, FunctionName: fn,
				Provider: c.d.Provider, Region: c.d.Region, DeploymentID: c.d.ID,
				ExecutionTimeMs: c.latencyMs, TotalTimeMs: c.latencyMs, StatusCode: 200,
				Attempts: []invocation.Attempt{a},
			})
		}
	}
}

// defaultCards are the built-in cards, the ones every test prices with.
type defaultCards struct{ err error }

func (c defaultCards) Cards(ctx context.Context) (map[pricing.Key]pricing.Card, error) {
	if c.err != nil {
		return nil, c.err
	}
	out := map[pricing.Key]pricing.Card{}
	for _, card := range pricing.Defaults() {
		out[card.KeyOf()] = card
	}
	return out, nil
}

// fakeBudgets holds budgets and their spend.
type fakeBudgets struct {
	budgets []budget.Budget
	spent   map[budget.Ref]float64
}

func (f *fakeBudgets) ListBudgets(ctx context.Context) ([]budget.Budget, error) {
	return slices.Clone(f.budgets), nil
}

func (f *fakeBudgets) BudgetUsage(ctx context.Context, bs []budget.Budget, at time.Time) ([]budget.Usage, error) {
	out := make([]budget.Usage, len(bs))
	for i, b := range bs {
		key, start, end := budget.Window(b.Period, at)
		spent := f.spent[b.Ref()]
		out[i] = budget.Usage{Budget: b, Period: key, PeriodStart: start, PeriodEnd: end, SpentUSD: spent, RemainingUSD: max(0, b.LimitUSD-spent)}
	}
	return out, nil
}
