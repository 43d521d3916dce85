package policy

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
)

func ptr[T any](v T) *T { return &v }

func TestValidate(t *testing.T) {
	base := func(s Strategy) Policy { return Policy{Name: "p", Function: "f", Strategy: s} }
	with := func(p Policy, edit func(*Policy)) Policy { edit(&p); return p }
	tests := []struct {
		name   string
		p      Policy
		fields []string
	}{
		{"seed policy", Policy{Name: "default-cost-saver", Function: "sample", DefaultProvider: "AWS"}, nil},
		{"with failover", Policy{Name: "p", Function: "f", DefaultProvider: "gcp", Failover: []catalog.Provider{"aws", "Azure"}}, nil},
		{"unknown strategy", Policy{Name: "p", Function: "f", Strategy: "cheapest-ish", DefaultProvider: "aws"}, []string{"strategy"}},
		{"strategy is case-insensitive", Policy{Name: "p", Function: "f", Strategy: "Cheapest"}, nil},
		{"missing default provider", Policy{Name: "p", Function: "f"}, []string{"default_provider"}},
		{"bad names", Policy{Name: "a b", Function: "", DefaultProvider: "aws"}, []string{"name", "function"}},
		{"failover twice", Policy{Name: "p", Function: "f", DefaultProvider: "aws", Failover: []catalog.Provider{"gcp", "gcp"}}, []string{"failover[1]"}},
		{"failover unknown", Policy{Name: "p", Function: "f", DefaultProvider: "aws", Failover: []catalog.Provider{"ibm"}}, []string{"failover[0]"}},
		{"default target without provider", with(base(Cheapest), func(p *Policy) { p.DefaultTarget = "t" }), []string{"default_target"}},

		{"cheapest without default provider", base(Cheapest), nil},
		{"cheapest with an SLO and a default tie-breaker", with(base(Cheapest), func(p *Policy) { p.SLOP95Ms, p.DefaultProvider = 250, "gcp" }), nil},
		{"negative SLO", with(base(Cheapest), func(p *Policy) { p.SLOP95Ms = -1 }), []string{"slo_p95_ms"}},
		{"NaN SLO", with(base(Cheapest), func(p *Policy) { p.SLOP95Ms = math.NaN() }), []string{"slo_p95_ms"}},
		{"SLO without cheapest", with(base(Fastest), func(p *Policy) { p.SLOP95Ms = 100 }), []string{"slo_p95_ms"}},
		{"fastest with a cost cap", with(base(Fastest), func(p *Policy) { p.CostCapUSD = 0.0001 }), nil},
		{"negative cost cap", with(base(Fastest), func(p *Policy) { p.CostCapUSD = -0.1 }), []string{"cost_cap_usd"}},
		{"infinite cost cap", with(base(Static), func(p *Policy) { p.DefaultProvider, p.CostCapUSD = "aws", math.Inf(1) }), []string{"cost_cap_usd"}},
		{"failover without static", with(base(Fastest), func(p *Policy) { p.Failover = []catalog.Provider{"aws"} }), []string{"failover"}},

		{"weighted defaults", base(Weighted), nil},
		{"weighted own weights", with(base(Weighted), func(p *Policy) { p.Weights = &Weights{Latency: 1} }), nil},
		{"negative weights", with(base(Weighted), func(p *Policy) { p.Weights = &Weights{Latency: -1, Cost: 1, Affinity: -0.5} }),
			[]string{"weights.latency", "weights.affinity"}},
		{"all-zero weights", with(base(Weighted), func(p *Policy) { p.Weights = &Weights{} }), []string{"weights"}},
		{"weights summing past the largest float", with(base(Weighted), func(p *Policy) {
			p.Weights = &Weights{Latency: math.MaxFloat64, Cost: math.MaxFloat64}
		}), []string{"weights"}},
		{"weights without weighted", with(base(Cheapest), func(p *Policy) { p.Weights = ptr(DefaultWeights()) }), []string{"weights"}},

		{"rules", with(base(Cheapest), func(p *Policy) {
			p.Rules = []Rule{{Window: "09:00-17:00", Days: []int{0, 1, 2, 3, 4}, Prefer: "AZURE"}, {Window: "22:00-02:00", Prefer: "gcp"}, {Window: "00:00-24:00", Prefer: "aws"}}
		}), nil},
		{"bad rules", with(base(Cheapest), func(p *Policy) {
			p.Rules = []Rule{
				{Window: "9:00-17:00", Prefer: "aws"},
				{Window: "09:00-09:00", Days: []int{7, 1, 1}, Prefer: "ibm"},
				{Window: "25:00-01:00", Prefer: "aws"},
			}
		}), []string{"rules[0].window", "rules[1].window", "rules[1].days[0]", "rules[1].days[2]", "rules[1].prefer", "rules[2].window"}},

		{"allowed", with(base(Cheapest), func(p *Policy) {
			p.AllowedProviders, p.AllowedRegions = []catalog.Provider{"AWS", "gcp"}, []string{"eu-west-1", "Europe-West1"}
		}), nil},
		{"bad allowed", with(base(Cheapest), func(p *Policy) {
			p.AllowedProviders, p.AllowedRegions = []catalog.Provider{"aws", "ibm", "aws"}, []string{"", "eu-west-1", "eu-west-1"}
		}), []string{"allowed_providers[1]", "allowed_providers[2]", "allowed_regions[0]", "allowed_regions[2]"}},
		{"default provider outside allowed", with(base(Static), func(p *Policy) {
			p.DefaultProvider, p.AllowedProviders = "azure", []catalog.Provider{"aws"}
		}), []string{"default_provider"}},
		{"failover and rule outside allowed", with(base(Static), func(p *Policy) {
			p.DefaultProvider, p.AllowedProviders = "aws", []catalog.Provider{"aws"}
			p.Failover = []catalog.Provider{"gcp"}
			p.Rules = []Rule{{Window: "00:00-06:00", Prefer: "gcp"}}
		}), []string{"failover[0]", "rules[0].prefer"}},

		{"split", with(base(Split), func(p *Policy) { p.Split = &SplitConfig{Percent: 30, A: "Cheapest", B: "weighted"} }), nil},
		{"split without config", base(Split), []string{"split"}},
		{"split config without split", with(base(Cheapest), func(p *Policy) { p.Split = &SplitConfig{Percent: 30, A: "cheapest", B: "fastest"} }), []string{"split"}},
		{"split bad config", with(base(Split), func(p *Policy) { p.Split = &SplitConfig{Percent: 101, A: "split", B: ""} }),
			[]string{"split.percent", "split.a", "split.b"}},
		{"split static arm needs a default provider", with(base(Split), func(p *Policy) { p.Split = &SplitConfig{Percent: 50, A: "cheapest", B: "static"} }),
			[]string{"default_provider"}},
		{"split arms' own fields", with(base(Split), func(p *Policy) {
			p.Split = &SplitConfig{Percent: 50, A: "cheapest", B: "weighted"}
			p.SLOP95Ms, p.Weights = 300, &Weights{}
		}), []string{"weights"}},

		{"exploration", with(base(Weighted), func(p *Policy) { p.Exploration = ptr(0.5) }), nil},
		{"exploration zero", with(base(Fastest), func(p *Policy) { p.Exploration = ptr(0.0) }), nil},
		{"exploration out of range", with(base(Fastest), func(p *Policy) { p.Exploration = ptr(0.6) }), []string{"exploration"}},
		{"exploration without learning", with(base(Static), func(p *Policy) { p.DefaultProvider, p.Exploration = "aws", ptr(0.1) }), []string{"exploration"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.Normalize()
			err := tc.p.Validate()
			if len(tc.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *fault.Error
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want *fault.Error", err)
			}
			got := make([]string, len(fe.Violations))
			for i, v := range fe.Violations {
				got[i] = v.Field
			}
			if !slices.Equal(got, tc.fields) {
				t.Fatalf("violation fields = %v, want %v (%v)", got, tc.fields, err)
			}
		})
	}
}

func TestValidateNamesTheSplitArm(t *testing.T) {
	p := Policy{Name: "p", Function: "f", Strategy: Split, Split: &SplitConfig{Percent: 50, A: "cheapest", B: "static"}}
	err := p.Validate()
	if err == nil || !strings.Contains(err.Error(), "split arm b (static)") {
		t.Fatalf("Validate() = %v, want one naming split arm b", err)
	}
}

func TestNormalize(t *testing.T) {
	p := Policy{
		Strategy: "SPLIT", DefaultProvider: "GCP", Failover: []catalog.Provider{"Aws"},
		AllowedProviders: []catalog.Provider{"AZURE"}, AllowedRegions: []string{" EU-West-1 "},
		Rules: []Rule{{Window: " 09:00-17:00 ", Prefer: "Gcp"}},
		Split: &SplitConfig{Percent: 10, A: "Cheapest", B: "FASTEST"},
	}
	p.Normalize()
	want := Policy{
		Strategy: Split, DefaultProvider: catalog.GCP, Failover: []catalog.Provider{catalog.AWS},
		AllowedProviders: []catalog.Provider{catalog.Azure}, AllowedRegions: []string{"eu-west-1"},
		Rules: []Rule{{Window: "09:00-17:00", Prefer: catalog.GCP}},
		Split: &SplitConfig{Percent: 10, A: Cheapest, B: Fastest},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Normalize (-want +got):\n%s", diff)
	}
	// Defaults stay unset: the stored policy reads back as written.
	if p.Weights != nil || p.Exploration != nil || p.SLOP95Ms != 0 {
		t.Errorf("Normalize filled defaults: weights %v, exploration %v, slo %v", p.Weights, p.Exploration, p.SLOP95Ms)
	}
	if got := p.ExplorationShare(); got != DefaultExploration {
		t.Errorf("ExplorationShare() = %v, want %v", got, DefaultExploration)
	}
	if got := p.WeightsOrDefault(); got != DefaultWeights() {
		t.Errorf("WeightsOrDefault() = %v, want %v", got, DefaultWeights())
	}
}

func TestParseWindow(t *testing.T) {
	tests := []struct {
		w          string
		start, end int
		ok         bool
	}{
		{"09:00-17:00", 540, 1020, true},
		{"22:30-02:15", 1350, 135, true},
		{"00:00-24:00", 0, 1440, true},
		{"23:59-00:00", 1439, 0, true},
		{"9:00-17:00", 0, 0, false},
		{"09:00 17:00", 0, 0, false},
		{"09:60-10:00", 0, 0, false},
		{"24:00-01:00", 0, 0, false},
		{"10:00-24:01", 0, 0, false},
		{"10:00-10:00", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.w, func(t *testing.T) {
			start, end, err := ParseWindow(tc.w)
			if (err == nil) != tc.ok || start != tc.start || end != tc.end {
				t.Errorf("ParseWindow(%q) = %d, %d, %v; want %d, %d, ok=%v", tc.w, start, end, err, tc.start, tc.end, tc.ok)
			}
		})
	}
}

func TestRuleActive(t *testing.T) {
	// 2025-01-03 is a Friday (day 4).
	at := func(day, hhmm string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04", "2025-01-"+day+" "+hhmm)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name string
		r    Rule
		t    time.Time
		want bool
	}{
		{"inside", Rule{Window: "09:00-17:00"}, at("03", "09:00"), true},
		{"end is exclusive", Rule{Window: "09:00-17:00"}, at("03", "17:00"), false},
		{"before", Rule{Window: "09:00-17:00"}, at("03", "08:59"), false},
		{"weekday listed", Rule{Window: "09:00-17:00", Days: []int{4}}, at("03", "12:00"), true},
		{"weekday not listed", Rule{Window: "09:00-17:00", Days: []int{0, 1, 2, 3}}, at("03", "12:00"), false},
		{"wraps: evening", Rule{Window: "22:00-02:00"}, at("03", "23:30"), true},
		{"wraps: after midnight", Rule{Window: "22:00-02:00"}, at("04", "01:59"), true},
		{"wraps: after the end", Rule{Window: "22:00-02:00"}, at("04", "02:00"), false},
		{"wraps: midday", Rule{Window: "22:00-02:00"}, at("03", "12:00"), false},
		{"wraps: Friday's night runs into Saturday", Rule{Window: "22:00-02:00", Days: []int{4}}, at("04", "01:00"), true},
		{"wraps: Friday's early hours are Thursday's night", Rule{Window: "22:00-02:00", Days: []int{4}}, at("03", "01:00"), false},
		{"wraps: Sunday's night runs into Monday", Rule{Window: "23:00-01:00", Days: []int{6}}, at("06", "00:30"), true},
		{"all day", Rule{Window: "00:00-24:00"}, at("03", "23:59"), true},
		{"other time zones count in UTC", Rule{Window: "09:00-10:00"}, at("03", "09:30").In(time.FixedZone("X", -5*3600)), true},
		{"bad window is never active", Rule{Window: "nine to five"}, at("03", "12:00"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Active(tc.t); got != tc.want {
				t.Errorf("Active(%v) = %v, want %v", tc.t, got, tc.want)
			}
		})
	}
}

func TestUses(t *testing.T) {
	p := Policy{Strategy: Split, Split: &SplitConfig{A: Cheapest, B: Static}}
	for s, want := range map[Strategy]bool{Split: true, Cheapest: true, Static: true, Fastest: false, Weighted: false} {
		if got := p.Uses(s); got != want {
			t.Errorf("Uses(%s) = %v, want %v", s, got, want)
		}
	}
	if !p.NeedsEstimates() {
		t.Error("NeedsEstimates() = false for a split with a cheapest arm")
	}
	static := Policy{Strategy: Static}
	if static.NeedsEstimates() {
		t.Error("NeedsEstimates() = true for a static policy without a cost cap")
	}
	static.CostCapUSD = 0.01
	if !static.NeedsEstimates() {
		t.Error("NeedsEstimates() = false for a static policy with a cost cap")
	}
}

func TestCheckAgainst(t *testing.T) {
	f := catalog.Function{Name: "sample", Deployments: []catalog.Deployment{
		{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "us-east-1", Target: "fiso-sample"},
		{ID: "gcp-us-central1", Provider: catalog.GCP, Region: "us-central1", Target: "https://g.example/"},
		{ID: "gcp-europe-west1", Provider: catalog.GCP, Region: "europe-west1", Target: "https://e.example/"},
	}}
	tests := []struct {
		name   string
		p      Policy
		fields []string
	}{
		{"provider present", Policy{DefaultProvider: catalog.GCP}, nil},
		{"provider absent", Policy{DefaultProvider: catalog.Azure}, []string{"default_provider"}},
		{"target present", Policy{DefaultProvider: catalog.AWS, DefaultTarget: "fiso-sample"}, nil},
		{"target on another provider", Policy{DefaultProvider: catalog.AWS, DefaultTarget: "https://g.example/"}, []string{"default_target"}},
		{"no default provider", Policy{Strategy: Cheapest}, nil},
		{"allowed providers leave some", Policy{Strategy: Cheapest, AllowedProviders: []catalog.Provider{catalog.GCP, catalog.Azure}}, nil},
		{"allowed providers leave none", Policy{Strategy: Cheapest, AllowedProviders: []catalog.Provider{catalog.Azure}}, []string{"allowed_providers"}},
		{"allowed regions leave none", Policy{Strategy: Cheapest, AllowedRegions: []string{"eu-west-1"}}, []string{"allowed_regions"}},
		{"providers and regions leave none together", Policy{Strategy: Cheapest,
			AllowedProviders: []catalog.Provider{catalog.AWS}, AllowedRegions: []string{"europe-west1"}}, []string{"allowed_regions"}},
		{"default provider only outside the allowed regions", Policy{DefaultProvider: catalog.AWS,
			AllowedRegions: []string{"europe-west1"}}, []string{"default_provider"}},
		{"default provider inside the allowed regions", Policy{DefaultProvider: catalog.GCP,
			AllowedRegions: []string{"europe-west1"}}, nil},
		{"every problem at once", Policy{DefaultProvider: catalog.Azure, DefaultTarget: "x",
			AllowedProviders: []catalog.Provider{catalog.Azure}}, []string{"allowed_providers", "default_provider"}},
		{"rules prefer providers the function has", Policy{Strategy: Cheapest, Rules: []Rule{
			{Window: "09:00-17:00", Prefer: catalog.GCP}, {Window: "22:00-02:00", Prefer: catalog.AWS}}}, nil},
		{"rule prefers a provider the function lacks", Policy{Strategy: Cheapest, Rules: []Rule{
			{Window: "09:00-17:00", Prefer: catalog.GCP}, {Window: "22:00-02:00", Prefer: catalog.Azure}}}, []string{"rules[1].prefer"}},
		{"rules' providers inside the allowed regions", Policy{Strategy: Cheapest,
			AllowedRegions: []string{"us-east-1", "us-central1"},
			Rules:          []Rule{{Window: "09:00-17:00", Prefer: catalog.GCP}, {Window: "00:00-24:00", Prefer: catalog.AWS}}}, nil},
		{"rule's provider outside the allowed regions", Policy{Strategy: Cheapest,
			AllowedRegions: []string{"us-east-1"},
			Rules:          []Rule{{Window: "09:00-17:00", Prefer: catalog.GCP}}}, []string{"rules[0].prefer"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.CheckAgainst(f)
			if len(tc.fields) == 0 {
				if err != nil {
					t.Fatalf("CheckAgainst = %v, want nil", err)
				}
				return
			}
			var fe *fault.Error
			if !errors.As(err, &fe) || !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("CheckAgainst = %v, want an ErrInvalid *fault.Error", err)
			}
			got := make([]string, len(fe.Violations))
			for i, v := range fe.Violations {
				got[i] = v.Field
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("violation fields = %v, want %v (%v)", got, tc.fields, err)
			}
		})
	}
}

func FuzzParseWindow(f *testing.F) {
	for _, w := range []string{"09:00-17:00", "22:00-02:00", "00:00-24:00", "24:00-01:00", "9:00-17:00", "-", ""} {
		f.Add(w, int64(0))
	}
	f.Fuzz(func(t *testing.T, w string, unix int64) {
		start, end, err := ParseWindow(w)
		if err == nil && (start < 0 || start >= 1440 || end < 0 || end > 1440 || start == end) {
			t.Fatalf("ParseWindow(%q) = %d, %d: out of range", w, start, end)
		}
		active := Rule{Window: w}.Active(time.Unix(unix%(1<<40), 0))
		if err != nil && active {
			t.Fatalf("rule with bad window %q is active", w)
		}
	})
}
