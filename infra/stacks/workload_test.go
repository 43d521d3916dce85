package stacks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func synthSampleWorkload(t *testing.T, props SampleWorkloadProps) synthesized {
	t.Helper()
	if props.ArtifactsDir == "" {
		props.ArtifactsDir = fakeArtifacts(t, "sample")
	}
	stack, err := NewSampleWorkload(newTestApp(t), "FisoSampleWorkload", props)
	if err != nil {
		t.Fatalf("NewSampleWorkload: %v", err)
	}
	return synthesize(t, stack)
}

// TestSampleWorkload checks what lets the control plane invoke the sample:
// its name and tag match the control plane's InvokeFunction grant.
func TestSampleWorkload(t *testing.T) {
	s := synthSampleWorkload(t, SampleWorkloadProps{})
	check(t, "one function", func() { s.tmpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(1)) })
	check(t, "function", func() {
		s.tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"FunctionName":  "fiso-workload-sample",
			"Runtime":       "provided.al2023",
			"Architectures": []any{"arm64"},
			"Handler":       "bootstrap",
			"MemorySize":    256,
			"Tags":          assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "fiso:workload", "Value": "true"}}),
		})
	})
	check(t, "log retention", func() {
		s.tmpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 30})
	})
	outputs, _ := s.json["Outputs"].(map[string]any)
	fn := s.logicalID(t, "AWS::Lambda::Function", "FunctionName", "fiso-workload-sample")
	for name, want := range map[string]string{"FunctionArn": "${" + fn + ".Arn}", "FunctionName": "${" + fn + "}", "Region": "${AWS::Region}"} {
		o, _ := outputs[name].(map[string]any)
		if got := render(o["Value"]); got != want {
			t.Errorf("output %s: got %s, want %s", name, got, want)
		}
	}
	for _, st := range s.statements() {
		for _, r := range st.resources {
			if r == "*" {
				t.Errorf("%s: resource * for %v", st.policy, st.actions)
			}
		}
	}
}

func TestSampleWorkloadRefusesBadProps(t *testing.T) {
	dir := fakeArtifacts(t, "sample")
	for _, tc := range []struct {
		name  string
		props SampleWorkloadProps
		want  string
	}{
		{"no artifacts folder", SampleWorkloadProps{}, "ArtifactsDir is required"},
		{"no zip", SampleWorkloadProps{ArtifactsDir: t.TempDir()}, "artifact sample (run make build first)"},
		{"a name the control plane may not invoke", SampleWorkloadProps{ArtifactsDir: dir, FunctionName: "sample"}, `"sample" must begin with fiso-workload-`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSampleWorkload(newTestApp(t), "FisoSampleWorkload", tc.props)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
