package stacks

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// goFunction is one of FISO's Go Lambda functions: a `bootstrap` binary
// for linux/arm64 in a zip that make build writes to the artifacts folder.
type goFunction struct {
	id          string
	zip         string // the asset, checked by artifact
	name        string // empty: CloudFormation names it
	description string
	memoryMB    float64
	timeout     awscdk.Duration
	env         map[string]*string
	retention   awslogs.RetentionDays
	// retries are the asynchronous (EventBridge) retries after a failed
	// run; nil leaves Lambda's default of two.
	retries *float64
}

// newGoFunction makes the function on provided.al2023 (arm64: cheaper per
// GB-second than x86 and what make build compiles for) with a log group of
// its own, so its retention is set and the group goes with the stack. Its
// role may write to that log group only: the managed
// AWSLambdaBasicExecutionRole would let it write to (and create) any.
func newGoFunction(scope constructs.Construct, f goFunction) awslambda.Function {
	logs := awslogs.NewLogGroup(scope, jsii.String(f.id+"Logs"), &awslogs.LogGroupProps{
		Retention:     f.retention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role := awsiam.NewRole(scope, jsii.String(f.id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Runs " + f.description),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WriteOwnLogs"),
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: &[]*string{logs.LogGroupArn()},
	}))
	props := &awslambda.FunctionProps{
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          awslambda.Code_FromAsset(jsii.String(f.zip), nil),
		Description:   jsii.String(f.description),
		MemorySize:    jsii.Number(f.memoryMB),
		Timeout:       f.timeout,
		LogGroup:      logs,
		Role:          role,
		RetryAttempts: f.retries,
	}
	if f.name != "" {
		props.FunctionName = jsii.String(f.name)
	}
	if len(f.env) > 0 {
		props.Environment = &f.env
	}
	return awslambda.NewFunction(scope, jsii.String(f.id), props)
}

// artifact is the path of dir/lambda/name.zip, which must exist: the CDK
// would otherwise fail later with a less helpful message.
func artifact(dir, name string) (string, error) {
	path, err := filepath.Abs(filepath.Join(dir, "lambda", name+".zip"))
	if err != nil {
		return "", fmt.Errorf("artifact %s: %w", name, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("artifact %s (run make build first): %w", name, err)
	}
	if info.IsDir() {
		return "", fmt.Errorf("artifact %s: %s is a folder, not a zip", name, path)
	}
	return path, nil
}
