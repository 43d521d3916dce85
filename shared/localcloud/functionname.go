package localcloud

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Patterns of the parts of a Lambda function name, as the Invoke API
// documents them.
var (
	lambdaNamePart      = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	lambdaQualifierPart = regexp.MustCompile(`^(\$LATEST|[A-Za-z0-9_-]{1,128})$`)
	lambdaRegionPart    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`)
	lambdaAccountPart   = regexp.MustCompile(`^\d{12}$`)
	lambdaPartitionPart = regexp.MustCompile(`^aws(-[a-z]+)*$`)
)

// FunctionRef is a parsed FunctionName of the Invoke API. Lambda accepts four
// spellings of one function, and the fields a spelling lacks are empty:
//
//	my-function                                              (Name)
//	my-function:live                                         (+ Qualifier)
//	123456789012:function:my-function[:live]                 (+ Account)
//	arn:aws:lambda:us-east-1:123456789012:function:my-function[:live]
//	                                                         (+ Partition, Region)
type FunctionRef struct {
	Partition string
	Region    string
	Account   string
	Name      string
	Qualifier string
}

// ParseFunctionName parses the FunctionName path parameter of an Invoke
// request (after URL unescaping).
func ParseFunctionName(s string) (FunctionRef, error) {
	if len(s) > 256 {
		return FunctionRef{}, errors.New("function name is longer than 256 characters")
	}
	parts := strings.Split(s, ":")
	var ref FunctionRef
	var rest []string
	qualified := true // the spelling names an account, which must then be valid
	switch {
	case len(parts) >= 7 && parts[0] == "arn":
		if parts[2] != "lambda" || parts[5] != "function" {
			return FunctionRef{}, fmt.Errorf("%q is not a Lambda function ARN", s)
		}
		ref.Partition, ref.Region, ref.Account = parts[1], parts[3], parts[4]
		rest = parts[6:]
		if !lambdaPartitionPart.MatchString(ref.Partition) {
			return FunctionRef{}, fmt.Errorf("partition %q is not an AWS partition", ref.Partition)
		}
		if !lambdaRegionPart.MatchString(ref.Region) {
			return FunctionRef{}, fmt.Errorf("region %q is not an AWS region", ref.Region)
		}
	case len(parts) >= 3 && parts[1] == "function":
		ref.Account = parts[0]
		rest = parts[2:]
	default:
		rest, qualified = parts, false
	}
	// An empty account (":function:f", found by FuzzParseFunctionName) is
	// as invalid as a malformed one.
	if qualified && !lambdaAccountPart.MatchString(ref.Account) {
		return FunctionRef{}, fmt.Errorf("account %q is not a 12-digit AWS account ID", ref.Account)
	}
	if len(rest) == 0 || len(rest) > 2 {
		return FunctionRef{}, fmt.Errorf("%q is not a function name, name:qualifier, partial ARN or ARN", s)
	}
	ref.Name = rest[0]
	if !lambdaNamePart.MatchString(ref.Name) {
		return FunctionRef{}, fmt.Errorf("function name %q must be 1-64 letters, digits, '-' or '_'", ref.Name)
	}
	if len(rest) == 2 {
		ref.Qualifier = rest[1]
		if !lambdaQualifierPart.MatchString(ref.Qualifier) {
			return FunctionRef{}, fmt.Errorf("qualifier %q must be $LATEST, a version or an alias", ref.Qualifier)
		}
	}
	return ref, nil
}

// String spells ref the way it was parsed: an ARN when it has a region, a
// partial ARN when it has an account, else name[:qualifier].
func (ref FunctionRef) String() string {
	s := ref.Name
	if ref.Qualifier != "" {
		s += ":" + ref.Qualifier
	}
	switch {
	case ref.Region != "":
		return "arn:" + ref.Partition + ":lambda:" + ref.Region + ":" + ref.Account + ":function:" + s
	case ref.Account != "":
		return ref.Account + ":function:" + s
	}
	return s
}

// ARN is the function's full ARN in region and account (with the qualifier,
// when there is one), as Lambda spells it in its answers.
func (ref FunctionRef) ARN(region, account string) string {
	full := ref
	if full.Partition == "" {
		full.Partition = "aws"
	}
	full.Region, full.Account = region, account
	return full.String()
}
