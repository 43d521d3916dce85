package route

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/policy"
)

func fn(ds ...string) catalog.Function {
	f := catalog.Function{Name: "f"}
	for _, id := range ds {
		prov, region, _ := strings.Cut(id, "-")
		f.Deployments = append(f.Deployments, catalog.Deployment{
			ID: id, Provider: catalog.Provider(prov), Region: region, Target: "t-" + id,
		})
	}
	return f
}

func ids(p Plan) []string {
	out := make([]string, len(p.Order))
	for i, d := range p.Order {
		out[i] = d.ID
		if p.Decision.Candidates[i].DeploymentID != d.ID {
			panic("candidates out of step with order")
		}
	}
	return out
}

func TestStaticOrder(t *testing.T) {
	three := fn("aws-east", "gcp-central", "azure-eastus")
	multi := fn("aws-east", "gcp-central", "aws-west", "azure-eastus", "gcp-west")
	tests := []struct {
		name string
		f    catalog.Function
		pol  policy.Policy
		want []string
	}{
		{"default provider then declared order", three,
			policy.Policy{DefaultProvider: catalog.AWS}, []string{"aws-east", "gcp-central", "azure-eastus"}},
		{"default provider not first", three,
			policy.Policy{DefaultProvider: catalog.GCP}, []string{"gcp-central", "aws-east", "azure-eastus"}},
		{"explicit failover order", three,
			policy.Policy{DefaultProvider: catalog.AWS, Failover: []catalog.Provider{catalog.Azure, catalog.GCP}},
			[]string{"aws-east", "azure-eastus", "gcp-central"}},
		{"failover leaves a provider out", three,
			policy.Policy{DefaultProvider: catalog.AWS, Failover: []catalog.Provider{catalog.Azure}},
			[]string{"aws-east", "azure-eastus"}},
		{"default target pins a region", multi,
			policy.Policy{DefaultProvider: catalog.AWS, DefaultTarget: "t-aws-west", Failover: []catalog.Provider{catalog.GCP}},
			[]string{"aws-west", "aws-east", "gcp-central", "gcp-west"}},
		{"default provider's other regions where failover names it", multi,
			policy.Policy{DefaultProvider: catalog.AWS, Failover: []catalog.Provider{catalog.GCP, catalog.AWS}},
			[]string{"aws-east", "gcp-central", "gcp-west", "aws-west"}},
		{"unknown default target falls back to the provider's first", three,
			policy.Policy{DefaultProvider: catalog.GCP, DefaultTarget: "t-elsewhere"},
			[]string{"gcp-central", "aws-east", "azure-eastus"}},
		{"no deployment on the default provider", fn("gcp-central", "azure-eastus"),
			policy.Policy{DefaultProvider: catalog.AWS, Failover: []catalog.Provider{catalog.Azure}},
			[]string{"azure-eastus"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.pol.Name, tc.pol.Strategy = "p", policy.Static
			p, err := NewRouter(nil).Plan(Request{Function: tc.f, Policy: &tc.pol})
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if diff := cmp.Diff(tc.want, ids(p)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if p.Decision.Policy != "p" || p.Decision.Strategy != "static" || p.Decision.Reason == "" {
				t.Errorf("decision = %+v, want policy p, strategy static and a reason", p.Decision)
			}
		})
	}
}

func TestNoPolicyUsesDeclaredOrder(t *testing.T) {
	f := fn("gcp-central", "aws-east")
	p, err := NewRouter(nil).Plan(Request{Function: f})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"gcp-central", "aws-east"}, ids(p)); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if p.Decision.Policy != "" || p.Decision.Strategy != "declared" {
		t.Errorf("decision = %+v, want no policy, strategy declared", p.Decision)
	}
}

func TestUnknownStrategy(t *testing.T) {
	pol := policy.Policy{Name: "p", Strategy: "greenest", DefaultProvider: catalog.AWS}
	_, err := NewRouter(nil).Plan(Request{Function: fn("aws-east"), Policy: &pol})
	if err == nil || !strings.Contains(err.Error(), `strategy "greenest"`) {
		t.Fatalf("err = %v, want one naming the strategy", err)
	}
}

type reverse struct{}

func (reverse) Plan(req Request) (Plan, error) {
	var p Plan
	for i := len(req.Function.Deployments) - 1; i >= 0; i-- {
		d := req.Function.Deployments[i]
		p.Order = append(p.Order, d)
		p.Decision.Candidates = append(p.Decision.Candidates, candidate(d, "reverse"))
	}
	return p, nil
}

func TestStrategiesPlugIn(t *testing.T) {
	pol := policy.Policy{Name: "p", Strategy: "reverse"}
	r := NewRouter(map[policy.Strategy]Strategy{"reverse": reverse{}})
	p, err := r.Plan(Request{Function: fn("aws-east", "gcp-central"), Policy: &pol})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"gcp-central", "aws-east"}, ids(p)); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestRouterKnowsEveryStrategy(t *testing.T) {
	f := fn("aws-east", "gcp-central")
	for _, s := range policy.Strategies() {
		t.Run(string(s), func(t *testing.T) {
			pol := policy.Policy{Name: "p", Strategy: s, DefaultProvider: catalog.AWS}
			if s == policy.Split {
				pol.Split = &policy.SplitConfig{Percent: 50, A: policy.Cheapest, B: policy.Static}
			}
			p, err := NewRouter(nil).Plan(Request{Function: f, Policy: &pol})
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if len(p.Order) != 2 || p.Decision.Reason == "" {
				t.Errorf("plan %v, reason %q; want both deployments and a reason", ids(p), p.Decision.Reason)
			}
		})
	}
}
