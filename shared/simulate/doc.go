// Package simulate is FISO's what-if replay (fiso simulate): it replays a
// public Azure Functions trace as if every traced function were deployed on
// AWS Lambda, Azure Functions and Google Cloud Run functions, routes every
// invocation with each policy through the real router (route.Router), and
// reports what each policy would have cost and how fast it would have
// answered, next to the single-cloud baselines and two oracles.
//
// # Model
//
// Each cloud has a ProviderModel (DefaultProviders documents the defaults
// and their sources): region and plan, a speed factor on the trace's
// execution time, network and platform overhead and cold-start penalties
// (log-normal through a median and a p95), a keep-alive window after which
// an idle instance is reclaimed, a failure rate, and how the trace's app
// memory maps to the plan's sizes. A call's latency is its execution time x
// speed + overhead, + a cold-start penalty when the deployment has been idle
// longer than its keep-alive; its cost is the rate card's billed cost of the
// execution (plus the billed share of a cold start), at list price. A failed
// attempt ran and is billed; the call fails over along the plan's order.
//
// Execution times come from the trace: a 2019 function's are drawn from the
// piecewise-linear distribution through its duration percentiles (with the
// top percentile's point lowered so the mean is the trace's Average, see
// trace.TailMatchMean); a 2021 invocation's is its own.
//
// # Routing
//
// Policies are replayed through a Planner with route.Estimate values derived
// from the models and each deployment's simulated state: a deployment idle
// beyond its keep-alive (or never called) gets the cold estimate
// (ColdStartRisk 1, cold latency and cost), the others the warm one; the
// predicted latency median and p95 and the expected billed cost come from
// the function's duration distribution on that cloud. Samples is the number
// of calls the deployment has served in the replay, Confident from
// ConfidentAfter of them, so exploration behaves as in production. The
// predictor is assumed exact: the replay measures strategies, not models.
//
// Baselines send everything to one cloud (no failover: a single-cloud
// deployment has nowhere to go). The oracle knows each call's realised
// latency, cost and failure on every cloud and takes the cheapest that meets
// the SLO, else the fastest; the floor takes the cheapest whatever its
// latency, a lower bound on any routing's cost. When calls cannot meet the
// SLO, the oracle pays for speed and may cost more than a policy.
//
// # Batching
//
// The 2019 trace counts invocations per function-minute. The first call of
// a minute is routed on its own, with random draws shared by every arm
// (common random numbers): it is the one that may find a deployment cold, and
// it changes the state. The rest of the minute shares its features, so it is
// planned once and accounted in bulk: a cold start if its deployment is cold,
// a binomial number of failures replayed one by one, and the warm remainder
// spread over Strata equally likely duration points (the bins' means of the
// duration distribution, paired with overhead quantiles Latin-hypercube
// fashion), summed once per function. The planner's answers are memoised per
// function by what can change them (cold and confident deployments, the
// exploration target, active rules); exploration is then drawn per call with
// the policy's share. Splits are planned call by call, or in at most
// MaxSubBatches chunks.
//
// # Accounting
//
// Latencies go to a Histogram of log-linear buckets (quantiles within 0.8%).
// Counts are integers and costs are summed per function and then in
// femto-dollars, so the result depends on the seed only, not on the number
// of workers. The 2021 trace is replayed invocation by invocation, in order
// of start.
package simulate
