// Package recommend turns the invocation log, the rate cards in force and the
// budgets into FinOps recommendations: what to change, what it would save in
// US dollars a month at list price, how sure FISO is, and the numbers it rests
// on. It reads; it changes nothing.
//
// # What is read
//
// For every function, the invocation records of a window (Options.Window, 14
// days by default, newest first, at most Options.MaxRecords = 100,000 a
// function). The window starts at the later of now - Window and the
// function's creation; when the record bound cuts the listing short, at the
// oldest record read. Only attempts where the function ran (answered, or
// failed in its own code) are evidence: they are what the platforms bill and
// what the caller waited for. Of each such attempt two durations are used:
//
//   - its latency, FISO's measured round trip (Attempt.DurationMs): what a
//     caller waits for, compared between deployments;
//   - its billing duration: the provider-reported billed duration where the
//     provider reports one (AWS; CostSource "provider-reported"), else the
//     round trip, which is what FISO priced the attempt with.
//
// and its memory: the billed memory the record holds, else the deployment's,
// else the plan's default (pricebook.DefaultMemoryMB). Every cost is priced
// again with the cards in force (Card.Cost, the marginal list price, no free
// grant), not read from the records, so "now" and "after" use one price list.
//
// # Monthly figures
//
// A volume observed over the window is extrapolated to a 30-day month:
// monthly = observed × 30 days / window length. Savings are monthly cost now
// minus monthly cost after, both at that volume. Savings of recommendations on
// the same deployment (right-size and arm64, or either and move-default) do
// not add up: each is computed against today's setup.
//
// # Thin evidence
//
// A figure drawn from fewer than Options.MinCalls (100) calls is not used, and
// a function observed for less than Options.MinWindow (a day) is not
// extrapolated; either way the report's Skipped list says what was left out
// and why, as does every candidate a rule looked at and rejected (slower,
// excluded by the policy, no rate card). Confidence follows the number of
// calls behind the weaker side of a comparison: high from
// Options.HighConfidenceCalls (1,000), medium from 300, low from MinCalls;
// some rules cap it (below).
//
// # The rules
//
// move-default: for a function routed by a static policy (or by none: the
// first deployment listed), the default deployment's cost per call c0 is the
// mean of its calls' costs on its card; each other deployment the policy
// allows and that has at least MinCalls calls gets c_i likewise, from its own
// calls' billing durations and memory on its own card. A deployment qualifies
// when its median and p95 latency are each at most (1 + LatencyTolerance) ×
// the default's (10%). The cheapest qualifying deployment is recommended when
// c_i < c0; savings = monthly calls × (c0 - c_i), where monthly calls are the
// function's calls that ran (on any deployment), extrapolated. A static policy
// carries no SLO (slo_p95_ms belongs to the cheapest strategy), so the
// default's own latency is the bound. Policies that route by prediction
// (cheapest, fastest, weighted, split) are skipped: they already weigh cost.
//
// right-size-memory: the calls of a function's deployments that share a rate
// card (provider, plan, region, architecture) are grouped by memory size:
// deployments configured with different sizes, or one deployment whose size
// changed within the window (the billed memory of each attempt). For each
// deployment, at its configured size S, every size s with at least MinCalls
// calls is a candidate when its median billing duration is at most
// (1 + MemoryTolerance) × that of S (10%, the duration "barely changes"); the
// cheapest candidate by mean cost per call (the smaller size on a tie) is
// recommended when it is cheaper than S; savings = the deployment's monthly
// calls × (cost per call at S - at s). This is the AWS Lambda Power Tuning
// idea with the sizes the logs happen to hold: FISO does not log the memory
// an invocation used (AWS's Max Memory Used), so a function seen at a single
// size gets no memory recommendation. Azure Consumption bills the memory used,
// not a configured size, and is not right-sized.
//
// arm64: an AWS Lambda deployment on x86_64 with at least MinCalls calls, in
// a region with an arm64 card, is priced again on that card with the same
// billed durations and memory; savings = monthly calls × (x86_64 cost per
// call - arm64 cost per call). That duration is unchanged on arm64 is an
// assumption, so confidence is at most medium; when an arm64 deployment of
// the same function (the same region preferred) has at least MinCalls calls,
// the arm64 durations are the x86_64 ones scaled by the ratio of the two
// medians, and confidence follows the calls when that ratio is within
// ArchTolerance (10%) of 1.
//
// remove-idle: a function with no call in the window, observed for at least
// MinWindow, is idle (confidence high when observed for at least 7 days, else
// medium). A deployment with no sent attempt in the window while its function
// had at least MinCalls calls is idle; confidence says how likely removing it
// is right: high when the active policy can never route to it (its residency
// rules exclude it, or a static failover list does not name its provider),
// low when it is a standby the static order (or the declared order without a
// policy) reaches only when the deployments before it fail, medium otherwise;
// low as well when the function changed within the window (the deployment may
// be new). Savings are $0: every plan FISO prices bills per call. (Flex
// Consumption always-ready instances do bill while idle, but the catalog does
// not record them, so they are not counted.)
//
// budget-forecast: for each budget, in its period containing now, the burn
// rate is spent / elapsed and the forecast spend at the period's end is
// spent × period length / elapsed. When the forecast passes the limit, the
// budget runs out at period start + elapsed × limit / spent and the
// recommendation's savings are the forecast overspend (forecast - limit) for
// a monthly budget, × 30 for a daily one: the spend to cut (or the limit to
// raise) so that calls are not refused from then to the period's end, since a
// hard limit refuses them rather than bill them. A budget already spent is
// reported at once; otherwise a forecast from less than MinElapsedShare (10%)
// of the period is skipped. Confidence: high from half the period elapsed,
// medium from a quarter, else low. Reserved (in-flight) spend is shown, not
// forecast.
package recommend
