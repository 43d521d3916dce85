package localcloud_test

import (
	"strings"
	"testing"

	"github.com/fiso-dev/fiso/shared/localcloud"
)

func TestParseFunctionName(t *testing.T) {
	tests := []struct {
		in      string
		want    localcloud.FunctionRef
		wantErr bool
	}{
		{in: "my-function", want: localcloud.FunctionRef{Name: "my-function"}},
		{in: "my_function:live", want: localcloud.FunctionRef{Name: "my_function", Qualifier: "live"}},
		{in: "f:$LATEST", want: localcloud.FunctionRef{Name: "f", Qualifier: "$LATEST"}},
		{in: "f:12", want: localcloud.FunctionRef{Name: "f", Qualifier: "12"}},
		{in: "123456789012:function:f", want: localcloud.FunctionRef{Account: "123456789012", Name: "f"}},
		{in: "123456789012:function:f:v1", want: localcloud.FunctionRef{Account: "123456789012", Name: "f", Qualifier: "v1"}},
		{in: "arn:aws:lambda:us-east-1:123456789012:function:f",
			want: localcloud.FunctionRef{Partition: "aws", Region: "us-east-1", Account: "123456789012", Name: "f"}},
		{in: "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:prod",
			want: localcloud.FunctionRef{Partition: "aws-us-gov", Region: "us-gov-west-1", Account: "123456789012", Name: "f", Qualifier: "prod"}},
		{in: "arn:aws-cn:lambda:cn-north-1:123456789012:function:f",
			want: localcloud.FunctionRef{Partition: "aws-cn", Region: "cn-north-1", Account: "123456789012", Name: "f"}},
		{in: "", wantErr: true},
		{in: ":", wantErr: true},
		{in: "f:", wantErr: true},
		{in: "f:a:b", wantErr: true},
		{in: "f:bad.qualifier", wantErr: true},
		{in: "has space", wantErr: true},
		{in: "f.name", wantErr: true},
		{in: strings.Repeat("a", 65), wantErr: true},
		{in: "12345:function:f", wantErr: true},
		{in: "arn:aws:lambda:us-east-1:123456789012:function", wantErr: true},
		{in: "arn:aws:s3:us-east-1:123456789012:function:f", wantErr: true},
		{in: "arn:aws:lambda:us-east-1:123456789012:layer:f", wantErr: true},
		{in: "arn:aws:lambda:nowhere:123456789012:function:f", wantErr: true},
		{in: "arn:gcp:lambda:us-east-1:123456789012:function:f", wantErr: true},
		{in: "arn:aws:lambda:us-east-1:123456789012:function:f:v:x", wantErr: true},
		{in: "arn:aws:lambda:us-east-1:123456789012:function:" + strings.Repeat("q", 300), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := localcloud.ParseFunctionName(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestFunctionRefARN(t *testing.T) {
	tests := []struct {
		ref  localcloud.FunctionRef
		want string
	}{
		{localcloud.FunctionRef{Name: "f"}, "arn:aws:lambda:eu-west-1:123456789012:function:f"},
		{localcloud.FunctionRef{Name: "f", Qualifier: "live"}, "arn:aws:lambda:eu-west-1:123456789012:function:f:live"},
		{localcloud.FunctionRef{Partition: "aws-cn", Region: "cn-north-1", Account: "1", Name: "f"}, "arn:aws-cn:lambda:eu-west-1:123456789012:function:f"},
	}
	for _, tc := range tests {
		if got := tc.ref.ARN("eu-west-1", "123456789012"); got != tc.want {
			t.Errorf("%+v.ARN() = %q, want %q", tc.ref, got, tc.want)
		}
	}
}

// FuzzParseFunctionName checks that any accepted name is well formed and that
// String spells it back exactly, so the emulator's 404 messages and lookups
// agree with what the caller sent.
func FuzzParseFunctionName(f *testing.F) {
	for _, s := range []string{
		"f", "f:live", "f:$LATEST", "123456789012:function:f", "123456789012:function:f:1",
		"arn:aws:lambda:us-east-1:123456789012:function:f", "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:v",
		"arn:aws:lambda:us-east-1:123456789012:function", "::::::::", "arn:::::::", "a:function:b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := localcloud.ParseFunctionName(s)
		if err != nil {
			return
		}
		if ref.Name == "" || len(ref.Name) > 64 || strings.ContainsAny(ref.Name, ":/ ") {
			t.Fatalf("%q: accepted name %q", s, ref.Name)
		}
		if (ref.Region == "") != (ref.Partition == "") || (ref.Region != "" && ref.Account == "") {
			t.Fatalf("%q: inconsistent ARN parts %+v", s, ref)
		}
		if got := ref.String(); got != s {
			t.Fatalf("%q parsed to %+v, which spells %q", s, ref, got)
		}
		again, err := localcloud.ParseFunctionName(ref.ARN("us-east-1", "123456789012"))
		if err != nil || again.Name != ref.Name || again.Qualifier != ref.Qualifier {
			t.Fatalf("%q: its ARN %q parses to %+v, %v", s, ref.ARN("us-east-1", "123456789012"), again, err)
		}
	})
}
