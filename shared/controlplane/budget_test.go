package controlplane_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/alert"
	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/httpapi"
	"github.com/fiso-dev/fiso/shared/testenv"
)

// invokeOnce is one invocation of the sample from a goroutine: its status,
// its cost header and, for a refusal, the problem. It does not touch t.
func (s *stack) invokeOnce() (status int, cost float64, p httpapi.Problem, err error) {
	req, err := http.NewRequest("POST", s.url+"/v1/functions/sample/invoke", strings.NewReader(`{"name":"budget"}`))
	if err != nil {
		return 0, 0, p, err
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, p, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, 0, p, err
	}
	if h := resp.Header.Get(httpapi.HeaderCostUSD); h != "" {
		if cost, err = strconv.ParseFloat(h, 64); err != nil {
			return 0, 0, p, fmt.Errorf("cost header %q: %w", h, err)
		}
	}
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(body, &p); err != nil {
			return 0, 0, p, fmt.Errorf("problem body %q: %w", body, err)
		}
	}
	return resp.StatusCode, cost, p, nil
}

type budgetState struct {
	Usage budget.Usage `json:"usage"`
}

// TestBudgetHoldsUnderConcurrency fires 200 parallel workers, each calling
// until the budget refuses it with nothing in flight, at a function budget through the whole
// control plane (HTTP API, orchestrator, guard, store) on both stores: the
// settled spend stays within one call's cost of the limit, nothing stays
// reserved, the refusals name the budget, and each threshold crossed
// alerts exactly once.
func TestBudgetHoldsUnderConcurrency(t *testing.T) {
	const workers = 200
	for _, kind := range []storeKind{embeddedStore, dynamoStore} {
		t.Run(string(kind), func(t *testing.T) {
			// Until a deployment's model is confident, a call is held at
			// the price of a whole attempt timeout: a short one lets many
			// calls run at once against a small limit.
			cfg := controlplane.Defaults()
			cfg.AttemptTimeout = time.Second
			// Alerts go out on an EventBridge bus (moto), as in the cloud.
			cfg.EventBus, cfg.EventsEndpoint = "fiso-budget-"+string(kind), testenv.Moto(t)
			events := testenv.NewEventBus(t, testenv.AWSConfig(), cfg.EventsEndpoint, cfg.EventBus)
			s := newStack(t, kind, cfg, nil)
			// One call prices the sample, so that the limit can be set to a
			// number of calls.
			one := checkCost(t, s, s.mustCall("POST", "/v1/functions/sample/invoke", `{}`, 200), "provider-reported")
			limit := 150 * one
			s.mustCall("PUT", "/v1/budgets/function/sample",
				fmt.Sprintf(`{"period":"month","limit_usd":%s,"thresholds":[25,50,100]}`, strconv.FormatFloat(limit, 'g', -1, 64)), 201)

			var (
				wg       sync.WaitGroup
				mu       sync.Mutex
				ok       int
				maxCost  float64
				refusals []httpapi.Problem
				errs     []error
			)
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// A refusal while other calls hold reservations may be
					// lifted when they settle below what they held: try
					// again shortly, a bounded number of times (a leaked
					// reservation must fail the test, not hang it). A
					// refusal with nothing in flight is final.
					for retries := 0; retries < 4; {
						status, cost, p, err := s.invokeOnce()
						mu.Lock()
						switch {
						case err != nil:
							errs = append(errs, err)
						case status == http.StatusOK:
							ok++
							maxCost = max(maxCost, cost)
						case status == http.StatusPaymentRequired:
							refusals = append(refusals, p)
						default:
							errs = append(errs, fmt.Errorf("status %d: %s", status, p.Detail))
						}
						mu.Unlock()
						switch {
						case status == http.StatusOK:
						case err != nil || p.Budget == nil || p.Budget.ReservedUSD == 0:
							return
						default:
							retries++
							time.Sleep(250 * time.Millisecond)
						}
					}
				}()
			}
			wg.Wait()
			for _, err := range errs[:min(len(errs), 5)] {
				t.Errorf("call: %v", err)
			}
			defer func() {
				if !t.Failed() {
					return
				}
				n := 0
				for _, line := range strings.Split(s.logs.String(), "\n") {
					if strings.Contains(line, `"level":"ERROR"`) && n < 5 {
						t.Log(line)
						n++
					}
				}
			}()
			if len(refusals) < workers {
				t.Fatalf("%d refusals, want at least one for each of %d workers (each calls until refused)", len(refusals), workers)
			}
			for _, p := range refusals {
				b := p.Budget
				if p.Status != 402 || p.Type != httpapi.ProblemTypePrefix+"budget-exceeded" || b == nil ||
					b.Scope != budget.Function || b.ID != "sample" || math.Abs(b.LimitUSD-limit) > 1e-12 || b.Period == "" || b.PeriodEnd.IsZero() {
					t.Fatalf("refusal = %+v (budget %+v), want a 402 naming function/sample, its limit and period", p, b)
				}
			}

			var got budgetState
			if err := json.Unmarshal(s.mustCall("GET", "/v1/budgets/function/sample", "", 200).body, &got); err != nil {
				t.Fatal(err)
			}
			u := got.Usage
			t.Logf("%d calls answered, %d refused; limit ($%.9f, %.0f calls of $%.9f); spent $%.9f, reserved $%.9f", ok, len(refusals), limit, limit/one, one, u.SpentUSD, u.ReservedUSD)
			if u.SpentUSD > limit+maxCost {
				t.Errorf("spent $%.12f passes the limit $%.12f by more than one call ($%.12f)", u.SpentUSD, limit, maxCost)
			}
			if u.ReservedUSD != 0 {
				t.Errorf("$%.12f is still reserved after every call ended: a reservation leaked", u.ReservedUSD)
			}
			if u.SpentUSD < limit/2 {
				t.Errorf("spent $%.12f of $%.12f: the budget refused calls long before it ran out", u.SpentUSD, limit)
			}

			var alerts struct {
				Items []budget.Alert `json:"items"`
			}
			if err := json.Unmarshal(s.mustCall("GET", "/v1/alerts", "", 200).body, &alerts); err != nil {
				t.Fatal(err)
			}
			count, refusing := map[float64]int{}, 0
			for _, a := range alerts.Items {
				count[a.Threshold]++
				if a.Refusing {
					refusing++
				}
			}
			for _, th := range []float64{25, 50} {
				want := 0
				if u.SpentUSD >= limit*th/100 {
					want = 1
				}
				if count[th] != want {
					t.Errorf("%d alerts for %g%% (spent %.1f%% of the limit), want %d", count[th], th, 100*u.SpentUSD/limit, want)
				}
			}
			// The first refusal alerts as the 100% threshold, once, however
			// many calls were refused (settled spend stays under the limit
			// here: the refusals come from what calls in flight hold).
			if count[100] != 1 || refusing != 1 {
				t.Errorf("%d alerts for 100%%, %d of them refusals; want exactly one refusal alert (%d refusals)", count[100], refusing, len(refusals))
			}
			// Each recorded alert was published once on the bus.
			published := testenv.Count(events.Receive(t, len(alerts.Items)+1))
			if published[alert.EventBudgetThreshold] != len(alerts.Items) {
				t.Errorf("%d %q events on the bus, want one per alert (%d)", published[alert.EventBudgetThreshold], alert.EventBudgetThreshold, len(alerts.Items))
			}
		})
	}
}
