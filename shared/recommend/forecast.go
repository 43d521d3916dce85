package recommend

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/fiso-dev/fiso/shared/budget"
)

// forecast projects every budget's spend to the end of its period.
func (e *Engine) forecast(ctx context.Context, r *run) error {
	budgets, err := e.budgets.ListBudgets(ctx)
	if err != nil {
		return fmt.Errorf("recommend: list budgets: %w", err)
	}
	if len(budgets) == 0 {
		return nil
	}
	usages, err := e.budgets.BudgetUsage(ctx, budgets, r.now)
	if err != nil {
		return fmt.Errorf("recommend: read budget usage: %w", err)
	}
	for _, u := range usages {
		r.budget(u)
	}
	return nil
}

// budget recommends acting on a budget whose burn rate runs it out before
// its period ends.
func (r *run) budget(u budget.Usage) {
	b := u.Budget
	ref := b.Ref()
	start, end := u.PeriodStart, u.PeriodEnd
	if start.IsZero() || end.IsZero() {
		_, start, end = budget.Window(b.Period, r.now)
	}
	length, elapsed := end.Sub(start), r.now.Sub(start)
	if length <= 0 || elapsed <= 0 || u.SpentUSD <= 0 || b.LimitUSD <= 0 {
		return // nothing spent yet: nothing to project
	}
	elapsed = min(elapsed, length)
	share := float64(elapsed) / float64(length)
	exhausted := u.SpentUSD >= b.LimitUSD
	if !exhausted && share < r.opts.MinElapsedShare {
		r.skips = append(r.skips, Skip{Kind: KindBudgetForecast, Budget: &ref,
			Reason: fmt.Sprintf("%s of period %s has elapsed, less than %s: too early to forecast", pct(share), u.Period, pct(r.opts.MinElapsedShare))})
		return
	}
	forecast := u.SpentUSD / share
	if forecast <= b.LimitUSD {
		return
	}
	// At the period's average burn, spend reached or reaches the limit
	// this long into the period.
	runsOut := start.Add(time.Duration(float64(elapsed) * b.LimitUSD / u.SpentUSD)).UTC()
	over := forecast - b.LimitUSD
	perMonth := over
	if b.Period == budget.Day {
		perMonth = over * 30
	}
	confidence := Low
	switch {
	case exhausted || share >= 0.5:
		confidence = High
	case share >= 0.25:
		confidence = Medium
	}
	f := &Forecast{
		Period: u.Period, PeriodStart: start.UTC(), PeriodEnd: end.UTC(),
		LimitUSD: b.LimitUSD, SpentUSD: u.SpentUSD, ReservedUSD: u.ReservedUSD,
		ElapsedShare: share, BurnUSDPerDay: u.SpentUSD / elapsed.Hours() * 24,
		ForecastUSD: forecast, OverspendUSD: over, RunsOutAt: runsOut, AlreadyExhausted: exhausted,
	}
	title := fmt.Sprintf("Budget %s runs out on %s, before period %s ends: forecast %s against a %s limit",
		ref, runsOut.Format("2006-01-02 15:04 UTC"), u.Period, dollars(forecast), dollars(b.LimitUSD))
	if exhausted {
		title = fmt.Sprintf("Budget %s is spent for period %s: %s of %s; at this burn the period would cost %s",
			ref, u.Period, dollars(u.SpentUSD), dollars(b.LimitUSD), dollars(forecast))
	}
	assumptions := []string{
		"spend continues at the period's average burn so far (settled spend; reserved spend of calls in flight is not counted)",
		"a budget's limit refuses calls rather than bill them: the savings are the forecast spend above the limit, to cut or to budget for",
	}
	if b.Period == budget.Day {
		assumptions = append(assumptions, "a daily budget's overspend is stated for 30 such days")
	}
	r.add(Recommendation{
		Kind: KindBudgetForecast, Budget: &ref, Function: functionOf(ref),
		Title: title,
		Action: fmt.Sprintf("Raise the limit of budget %s to at least %s, or cut its spend by %s this %s; otherwise calls charged to it are refused from %s to %s",
			ref, dollars(forecast), dollars(over), b.Period, runsOut.Format(time.RFC3339), end.UTC().Format(time.RFC3339)),
		MonthlySavingsUSD: perMonth,
		Confidence:        confidence,
		Evidence:          Evidence{Forecast: f, Assumptions: assumptions},
	})
}

// dollars formats an amount in cents, or to the micro-dollar when it is
// below a cent (a budget on a test function can be).
func dollars(v float64) string {
	if v != 0 && math.Abs(v) < 0.01 {
		return fmt.Sprintf("$%.6f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

// functionOf is the function a function budget limits, else "".
func functionOf(ref budget.Ref) string {
	if ref.Scope == budget.Function {
		return ref.ID
	}
	return ""
}
