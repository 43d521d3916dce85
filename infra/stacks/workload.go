package stacks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// SampleWorkloadProps configure the AWS sample workload stack. Zero values
// take the default named on each field.
type SampleWorkloadProps struct {
	awscdk.StackProps
	// ArtifactsDir holds lambda/sample.zip (make build writes it to dist/).
	// Required.
	ArtifactsDir string
	// FunctionName must begin with the control plane's workload prefix;
	// default fiso-workload-sample, the name terraform/aws gives it too (so
	// deploy one or the other, not both).
	FunctionName string
	// MemoryMB is the function's memory; default 256, as terraform/* deploy it.
	MemoryMB float64
	// LogRetention is how long CloudWatch keeps its logs; default one month.
	LogRetention awslogs.RetentionDays
}

// NewSampleWorkload defines FISO's sample workload as a Lambda function the
// control plane may invoke: named with DefaultWorkloadPrefix and tagged
// fiso:workload=true. Its outputs are what registering it with FISO needs.
func NewSampleWorkload(scope constructs.Construct, id string, props SampleWorkloadProps) (awscdk.Stack, error) {
	p := props
	if p.FunctionName == "" {
		p.FunctionName = DefaultWorkloadPrefix + "sample"
	}
	if p.MemoryMB == 0 {
		p.MemoryMB = 256
	}
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_ONE_MONTH
	}
	if p.ArtifactsDir == "" {
		return nil, fmt.Errorf("sample workload stack %s: %w", id, errors.New("ArtifactsDir is required"))
	}
	if !strings.HasPrefix(p.FunctionName, DefaultWorkloadPrefix) {
		// A warning would do for a custom prefix, but the control plane
		// defaults to this one and a mismatch is a silent AccessDenied.
		return nil, fmt.Errorf("sample workload stack %s: function name %q must begin with %s, or the control plane may not invoke it", id, p.FunctionName, DefaultWorkloadPrefix)
	}
	zip, err := artifact(p.ArtifactsDir, "sample")
	if err != nil {
		return nil, fmt.Errorf("sample workload stack %s: %w", id, err)
	}

	stackProps := p.StackProps
	if stackProps.Description == nil {
		stackProps.Description = jsii.String("FISO's sample workload on AWS Lambda, invoked by the FISO control plane")
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &stackProps)
	fn := newGoFunction(stack, goFunction{
		id: "SampleFunction", zip: zip, name: p.FunctionName, description: "FISO sample workload",
		memoryMB: p.MemoryMB, timeout: awscdk.Duration_Seconds(jsii.Number(30)), retention: p.LogRetention,
	})
	awscdk.Tags_Of(fn).Add(jsii.String(WorkloadTagKey), jsii.String(WorkloadTagValue), nil)

	for _, o := range []struct {
		id   string
		val  *string
		what string
	}{
		{"FunctionArn", fn.FunctionArn(), "the deployment's target: register it with FISO (provider aws)"},
		{"FunctionName", fn.FunctionName(), "the function's name"},
		{"Region", stack.Region(), "the deployment's region"},
	} {
		awscdk.NewCfnOutput(stack, jsii.String(o.id), &awscdk.CfnOutputProps{Value: o.val, Description: jsii.String(o.what)})
	}
	return stack, nil
}
