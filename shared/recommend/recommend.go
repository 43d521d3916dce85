package recommend

import (
	"cmp"
	"context"
	"errors"
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

// Kinds of recommendation.
const (
	KindMoveDefault    = "move-default"
	KindRightSize      = "right-size-memory"
	KindARM64          = "arm64"
	KindRemoveIdle     = "remove-idle"
	KindBudgetForecast = "budget-forecast"
)

// Confidence levels.
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

// Recommendation is one change and what it would save.
type Recommendation struct {
	Kind       string      `json:"kind"`
	Function   string      `json:"function,omitempty"`
	Deployment string      `json:"deployment,omitempty"`
	Budget     *budget.Ref `json:"budget,omitempty"`
	Title      string      `json:"title"`
	// Action says what to change, concretely: the policy fields, the
	// memory size, the deployment to remove, the limit to raise.
	Action string `json:"action"`
	// MonthlySavingsUSD is at list price for a 30-day month at the observed
	// volume (see the package documentation for each kind).
	MonthlySavingsUSD float64  `json:"monthly_savings_usd"`
	Confidence        string   `json:"confidence"`
	Evidence          Evidence `json:"evidence"`
}

// Evidence is what a recommendation rests on. Fields that do not apply to
// its kind are left out.
type Evidence struct {
	// Since and Until bound the log window the figures come from; WindowDays
	// is its length.
	Since      *time.Time `json:"since,omitempty"`
	Until      *time.Time `json:"until,omitempty"`
	WindowDays float64    `json:"window_days,omitempty"`
	// Records is how many invocation records were read; Truncated is set
	// when the record bound cut the window short.
	Records   int  `json:"records,omitempty"`
	Truncated bool `json:"truncated,omitempty"`
	// Calls are the calls the savings scale with (the function's for
	// move-default, the deployment's otherwise), observed in the window;
	// MonthlyCalls is that volume over a 30-day month.
	Calls        int     `json:"calls,omitempty"`
	MonthlyCalls float64 `json:"monthly_calls,omitempty"`
	// MonthlyCostNowUSD and MonthlyCostAfterUSD are the costs at that
	// volume before and after the change.
	MonthlyCostNowUSD   float64 `json:"monthly_cost_now_usd,omitempty"`
	MonthlyCostAfterUSD float64 `json:"monthly_cost_after_usd,omitempty"`
	// Deployments are the observed figures of the deployments compared.
	Deployments []DeploymentStats `json:"deployments,omitempty"`
	// MemorySizes are the observed figures per memory size (right-size).
	MemorySizes []SizeStats `json:"memory_sizes,omitempty"`
	// Forecast is the budget's burn and forecast (budget-forecast).
	Forecast *Forecast `json:"forecast,omitempty"`
	// Assumptions say what the figures take for granted.
	Assumptions []string `json:"assumptions,omitempty"`
}

// DeploymentStats are one deployment's calls in the window.
type DeploymentStats struct {
	ID       string           `json:"id"`
	Provider catalog.Provider `json:"provider"`
	Region   string           `json:"region"`
	Plan     pricing.Plan     `json:"plan"`
	Arch     catalog.Arch     `json:"arch"`
	MemoryMB int              `json:"memory_mb"`
	// Card is the rate card the cost per call is priced with.
	Card string `json:"card"`
	// Role says what the deployment is in the comparison ("default",
	// "alternative", "x86_64", "arm64 evidence").
	Role  string `json:"role,omitempty"`
	Calls int    `json:"calls"`
	// MedianMs and P95Ms are FISO's measured round trips (the latency a
	// caller sees); MedianBilledMs is the median billing duration.
	MedianMs       float64 `json:"median_ms"`
	P95Ms          float64 `json:"p95_ms"`
	MedianBilledMs float64 `json:"median_billed_ms"`
	CostPerCallUSD float64 `json:"cost_per_call_usd"`
}

// SizeStats are the calls at one memory size of deployments that share a
// rate card.
type SizeStats struct {
	MemoryMB    int      `json:"memory_mb"`
	Deployments []string `json:"deployments"`
	Calls       int      `json:"calls"`
	// MedianBilledMs and P95BilledMs are billing durations, the duration
	// compared across sizes.
	MedianBilledMs float64 `json:"median_billed_ms"`
	P95BilledMs    float64 `json:"p95_billed_ms"`
	CostPerCallUSD float64 `json:"cost_per_call_usd"`
}

// Forecast is a budget's burn in its current period.
type Forecast struct {
	Period      string    `json:"period"`
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	LimitUSD    float64   `json:"limit_usd"`
	SpentUSD    float64   `json:"spent_usd"`
	ReservedUSD float64   `json:"reserved_usd"`
	// ElapsedShare is the share of the period gone (0-1).
	ElapsedShare     float64   `json:"elapsed_share"`
	BurnUSDPerDay    float64   `json:"burn_usd_per_day"`
	ForecastUSD      float64   `json:"forecast_usd"`
	OverspendUSD     float64   `json:"overspend_usd"`
	RunsOutAt        time.Time `json:"runs_out_at"`
	AlreadyExhausted bool      `json:"already_exhausted,omitempty"`
}

// Skip is a recommendation not made, and why: too little evidence, or a
// candidate a rule rejected.
type Skip struct {
	// Kind is empty when the function was left out of every rule.
	Kind       string      `json:"kind,omitempty"`
	Function   string      `json:"function,omitempty"`
	Deployment string      `json:"deployment,omitempty"`
	Budget     *budget.Ref `json:"budget,omitempty"`
	Reason     string      `json:"reason"`
}

// Report is the answer of GET /v1/recommendations.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	// WindowDays is the log window asked for; a function's own window may be
	// shorter (see each recommendation's evidence).
	WindowDays float64 `json:"window_days"`
	// Recommendations are ordered by monthly savings, largest first.
	Recommendations []Recommendation `json:"recommendations"`
	Skipped         []Skip           `json:"skipped"`
}

// Reader reads the catalog, the invocation log and the policies.
type Reader interface {
	ListFunctions(ctx context.Context) ([]catalog.Function, error)
	// ListInvocations lists records newest first, a page at a time.
	ListInvocations(ctx context.Context, q invocation.Query) (invocation.Page, error)
	// GetPolicy fails with fault.ErrNotFound for an unknown policy.
	GetPolicy(ctx context.Context, name string) (policy.Policy, error)
}

// CardSource gives the rate cards in force (pricebook.Book does).
type CardSource interface {
	Cards(ctx context.Context) (map[pricing.Key]pricing.Card, error)
}

// BudgetReader gives the budgets and their spend.
type BudgetReader interface {
	ListBudgets(ctx context.Context) ([]budget.Budget, error)
	BudgetUsage(ctx context.Context, budgets []budget.Budget, at time.Time) ([]budget.Usage, error)
}

// Defaults of Options.
const (
	DefaultWindow              = 14 * 24 * time.Hour
	DefaultMaxRecords          = 100_000
	DefaultMinCalls            = 100
	DefaultHighConfidenceCalls = 1000
	DefaultTolerance           = 0.10
	DefaultMinWindow           = 24 * time.Hour
	DefaultMinElapsedShare     = 0.10
)

// month is the length savings are stated for.
const month = 30 * 24 * time.Hour

// Options tune the rules; zero values take the defaults.
type Options struct {
	// Window is how far back the log is read (14 days).
	Window time.Duration
	// MaxRecords bounds the records read per function, the newest (100,000).
	MaxRecords int
	// MinCalls is the fewest calls a figure is drawn from (100).
	MinCalls int
	// HighConfidenceCalls is the calls from which a comparison is high
	// confidence (1,000); medium from 30% of it.
	HighConfidenceCalls int
	// LatencyTolerance is how much slower (median and p95) a deployment may
	// be and still be recommended as the default (0.10).
	LatencyTolerance float64
	// MemoryTolerance is how much longer a call may run at another memory
	// size and still count as "the same duration" (0.10).
	MemoryTolerance float64
	// ArchTolerance is how close arm64 durations must be to x86_64 ones for
	// an arm64 recommendation to be high confidence (0.10).
	ArchTolerance float64
	// MinWindow is the shortest observation extrapolated to a month (a day).
	MinWindow time.Duration
	// MinElapsedShare is the least share of a budget period to forecast
	// from (0.10).
	MinElapsedShare float64
}

func (o Options) withDefaults() Options {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.MaxRecords <= 0 {
		o.MaxRecords = DefaultMaxRecords
	}
	if o.MinCalls <= 0 {
		o.MinCalls = DefaultMinCalls
	}
	if o.HighConfidenceCalls <= 0 {
		o.HighConfidenceCalls = DefaultHighConfidenceCalls
	}
	if o.LatencyTolerance <= 0 {
		o.LatencyTolerance = DefaultTolerance
	}
	if o.MemoryTolerance <= 0 {
		o.MemoryTolerance = DefaultTolerance
	}
	if o.ArchTolerance <= 0 {
		o.ArchTolerance = DefaultTolerance
	}
	if o.MinWindow <= 0 {
		o.MinWindow = DefaultMinWindow
	}
	if o.MinElapsedShare <= 0 {
		o.MinElapsedShare = DefaultMinElapsedShare
	}
	return o
}

// Engine makes recommendations.
type Engine struct {
	reader  Reader
	cards   CardSource
	budgets BudgetReader
	opts    Options
}

// New returns an engine over the log, the cards and the budgets (nil: no
// budget forecasts).
func New(reader Reader, cards CardSource, budgets BudgetReader, opts Options) *Engine {
	return &Engine{reader: reader, cards: cards, budgets: budgets, opts: opts.withDefaults()}
}

// Recommend reads the log, the cards and the budgets as of now and returns
// every recommendation, largest monthly savings first. It fails when
// something it reads cannot be read; thin evidence is a Skip, not an error.
func (e *Engine) Recommend(ctx context.Context, now time.Time) (Report, error) {
	now = now.UTC()
	cards, err := e.cards.Cards(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("recommend: read rate cards: %w", err)
	}
	fns, err := e.reader.ListFunctions(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("recommend: list functions: %w", err)
	}
	r := &run{opts: e.opts, cards: cards, now: now}
	for _, f := range fns {
		fl, err := e.read(ctx, f, now)
		if err != nil {
			return Report{}, err
		}
		r.function(fl)
	}
	if e.budgets != nil {
		if err := e.forecast(ctx, r); err != nil {
			return Report{}, err
		}
	}
	slices.SortStableFunc(r.recs, func(a, b Recommendation) int {
		return cmp.Or(
			cmp.Compare(b.MonthlySavingsUSD, a.MonthlySavingsUSD),
			cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)),
			cmp.Compare(a.Function, b.Function),
			cmp.Compare(a.Deployment, b.Deployment),
		)
	})
	return Report{
		GeneratedAt:     now,
		WindowDays:      e.opts.Window.Hours() / 24,
		Recommendations: nonNil(r.recs),
		Skipped:         nonNil(r.skips),
	}, nil
}

func kindRank(k string) int {
	return slices.Index([]string{KindBudgetForecast, KindMoveDefault, KindRightSize, KindARM64, KindRemoveIdle}, k)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// run collects one Recommend call's results.
type run struct {
	opts  Options
	cards map[pricing.Key]pricing.Card
	now   time.Time
	recs  []Recommendation
	skips []Skip
}

func (r *run) add(rec Recommendation) { r.recs = append(r.recs, rec) }

func (r *run) skip(kind, function, deployment, format string, args ...any) {
	r.skips = append(r.skips, Skip{Kind: kind, Function: function, Deployment: deployment, Reason: fmt.Sprintf(format, args...)})
}

// confidence grades a comparison by the calls behind its weaker side.
func (r *run) confidence(calls int) string {
	switch {
	case calls >= r.opts.HighConfidenceCalls:
		return High
	case calls*10 >= r.opts.HighConfidenceCalls*3:
		return Medium
	}
	return Low
}

// capConfidence lowers c to at most limit.
func capConfidence(c, limit string) string {
	rank := map[string]int{Low: 0, Medium: 1, High: 2}
	if rank[c] > rank[limit] {
		return limit
	}
	return c
}

// obs is one attempt where the function ran.
type obs struct {
	// latencyMs is FISO's measured round trip; billMs the duration the
	// platform bills on; memoryMB the memory it billed.
	latencyMs float64
	billMs    float64
	memoryMB  int
}

// functionLog is what the window holds for one function.
type functionLog struct {
	fn           catalog.Function
	pol          *policy.Policy
	since, until time.Time
	records      int
	truncated    bool
	// calls are records with at least one attempt where the function ran.
	calls int
	// sent counts each deployment's sent attempts; ran holds those where
	// the function ran.
	sent map[string]int
	ran  map[string][]obs
}

func (fl *functionLog) days() float64 { return fl.until.Sub(fl.since).Hours() / 24 }

// monthly extrapolates a count over the window to a 30-day month.
func (fl *functionLog) monthly(n int) float64 {
	return float64(n) * float64(month) / float64(fl.until.Sub(fl.since))
}

// evidence is the window part of a recommendation's evidence.
func (fl *functionLog) evidence() Evidence {
	since, until := fl.since, fl.until
	return Evidence{Since: &since, Until: &until, WindowDays: fl.days(), Records: fl.records, Truncated: fl.truncated}
}

// read lists f's records in the window, newest first, up to MaxRecords.
func (e *Engine) read(ctx context.Context, f catalog.Function, now time.Time) (*functionLog, error) {
	fl := &functionLog{fn: f, since: now.Add(-e.opts.Window), until: now, sent: map[string]int{}, ran: map[string][]obs{}}
	if f.ActivePolicy != "" {
		p, err := e.reader.GetPolicy(ctx, f.ActivePolicy)
		switch {
		case errors.Is(err, fault.ErrNotFound):
			// Deleted since the function was read: it routes without one.
		case err != nil:
			return nil, fmt.Errorf("recommend: read policy %q of function %q: %w", f.ActivePolicy, f.Name, err)
		default:
			fl.pol = &p
		}
	}
	if f.CreatedAt.After(fl.since) {
		fl.since = f.CreatedAt.UTC()
	}
	q := invocation.Query{Function: f.Name, Since: fl.since, Until: now, Limit: invocation.MaxLimit}
	for {
		page, err := e.reader.ListInvocations(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("recommend: read the invocation log of %q: %w", f.Name, err)
		}
		for _, rec := range page.Items {
			if fl.records == e.opts.MaxRecords {
				fl.truncated = true
				return fl, nil
			}
			fl.records++
			fl.since = rec.Timestamp.UTC() // the oldest read so far, should the bound cut the window
			fl.observe(rec)
		}
		if page.Next == nil {
			fl.since = q.Since
			return fl, nil
		}
		q.After = page.Next
	}
}

func (fl *functionLog) observe(rec invocation.Record) {
	ran := false
	for _, a := range rec.Attempts {
		if !a.Sent() {
			continue
		}
		fl.sent[a.DeploymentID]++
		if !a.Ran() {
			continue
		}
		ran = true
		d, ok := fl.fn.Deployment(a.DeploymentID)
		if !ok {
			continue // removed since: nothing to recommend about it
		}
		o := obs{latencyMs: a.DurationMs, billMs: a.DurationMs, memoryMB: a.BilledMemoryMB}
		if a.CostSource == invocation.CostReported && a.BilledDurationMs > 0 {
			o.billMs = a.BilledDurationMs
		}
		if o.memoryMB == 0 {
			o.memoryMB = configuredMB(d)
		}
		fl.ran[d.ID] = append(fl.ran[d.ID], o)
	}
	if ran {
		fl.calls++
	}
}

// function applies every log rule to one function.
func (r *run) function(fl *functionLog) {
	name := fl.fn.Name
	if fl.until.Sub(fl.since) < r.opts.MinWindow {
		r.skip("", name, "", "observed for %s only (created %s), less than %s: too short to extrapolate to a month",
			fl.until.Sub(fl.since).Round(time.Minute), fl.fn.CreatedAt.UTC().Format(time.RFC3339), r.opts.MinWindow)
		return
	}
	if fl.records == 0 {
		r.idleFunction(fl)
		return
	}
	r.moveDefault(fl)
	r.rightSize(fl)
	r.arm64(fl)
	r.idleDeployments(fl)
}
