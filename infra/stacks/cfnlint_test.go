package stacks

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCfnLint runs cfn-lint on every synthesized template. W3005 (a
// DependsOn that a GetAtt already implies) is left out: the CDK adds that
// dependency on each function's role on purpose.
func TestCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("cfn-lint is not installed (pip install cfn-lint); CI must run it")
		}
		t.Skip("cfn-lint is not installed (pip install cfn-lint)")
	}
	for _, tc := range []struct {
		name  string
		synth func(*testing.T) synthesized
	}{
		{"FisoControlPlane", func(t *testing.T) synthesized { return synthControlPlane(t, ControlPlaneProps{}) }},
		{"FisoControlPlane with every option", func(t *testing.T) synthesized {
			return synthControlPlane(t, ControlPlaneProps{GCPBillingKeySecret: "fiso/gcp-billing-key", AlarmEmail: "ops@example.com", PricingRegions: "aws=us-east-1"})
		}},
		{"FisoSampleWorkload", func(t *testing.T) synthesized { return synthSampleWorkload(t, SampleWorkloadProps{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.MarshalIndent(tc.synth(t).json, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "template.json")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(lint, "--ignore-checks", "W3005", "--", path).CombinedOutput()
			if err != nil {
				t.Errorf("cfn-lint %s: %v\n%s", tc.name, err, out)
			}
		})
	}
}
