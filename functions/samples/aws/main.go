// Command aws is the sample workload's AWS Lambda entry point (the
// provided.al2023 runtime runs it as "bootstrap").
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/fiso-dev/fiso/functions/samples/sample"
)

func main() {
	lambda.Start(sample.HandleLambda)
}
