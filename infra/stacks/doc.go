// Package stacks defines FISO's AWS CloudFormation stacks with the AWS CDK:
// the control plane (HTTP API, its Lambda functions and schedules, DynamoDB
// tables, event bus, secrets, alarms) and the AWS sample workload that the
// control plane invokes. The app in infra/ (main.go) puts them together; the
// tests here synthesize them and check what they promise: the DynamoDB
// schema of shared/store/dynamo, least-privilege IAM, retention and alarms.
//
// This module has its own go.mod so that the Lambda binaries never link the
// CDK or jsii.
package stacks
