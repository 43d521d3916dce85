package policy

import (
	"errors"
	"testing"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		p      Policy
		fields []string
	}{
		{"seed policy", Policy{Name: "default-cost-saver", Function: "sample", DefaultProvider: "AWS"}, nil},
		{"with failover", Policy{Name: "p", Function: "f", DefaultProvider: "gcp", Failover: []catalog.Provider{"aws", "Azure"}}, nil},
		{"unknown strategy", Policy{Name: "p", Function: "f", Strategy: "cheapest", DefaultProvider: "aws"}, []string{"strategy"}},
		{"missing default provider", Policy{Name: "p", Function: "f"}, []string{"default_provider"}},
		{"bad names", Policy{Name: "a b", Function: "", DefaultProvider: "aws"}, []string{"name", "function"}},
		{"failover twice", Policy{Name: "p", Function: "f", DefaultProvider: "aws", Failover: []catalog.Provider{"gcp", "gcp"}}, []string{"failover[1]"}},
		{"failover unknown", Policy{Name: "p", Function: "f", DefaultProvider: "aws", Failover: []catalog.Provider{"ibm"}}, []string{"failover[0]"}},
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
			if len(fe.Violations) != len(tc.fields) {
				t.Fatalf("violations = %v, want fields %v", fe.Violations, tc.fields)
			}
			for i, f := range tc.fields {
				if fe.Violations[i].Field != f {
					t.Errorf("violation %d field = %q, want %q", i, fe.Violations[i].Field, f)
				}
			}
		})
	}
}

func TestCheckAgainst(t *testing.T) {
	f := catalog.Function{Name: "sample", Deployments: []catalog.Deployment{
		{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "us-east-1", Target: "fiso-sample"},
		{ID: "gcp-us-central1", Provider: catalog.GCP, Region: "us-central1", Target: "https://g.example/"},
	}}
	tests := []struct {
		name string
		p    Policy
		ok   bool
	}{
		{"provider present", Policy{DefaultProvider: catalog.GCP}, true},
		{"provider absent", Policy{DefaultProvider: catalog.Azure}, false},
		{"target present", Policy{DefaultProvider: catalog.AWS, DefaultTarget: "fiso-sample"}, true},
		{"target on another provider", Policy{DefaultProvider: catalog.AWS, DefaultTarget: "https://g.example/"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.CheckAgainst(f)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckAgainst = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, fault.ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
		})
	}
}
