package catalog

import (
	"errors"
	"strings"
	"testing"

	"github.com/fiso-dev/fiso/shared/fault"
)

func valid() Function {
	return Function{
		Name: "sample",
		Deployments: []Deployment{
			{Provider: AWS, Region: "us-east-1", Target: "arn:aws:lambda:us-east-1:123456789012:function:fiso-sample", MemoryMB: 128, Arch: ARM64},
			{Provider: Azure, Region: "eastus", Target: "https://fiso-sample.azurewebsites.net/api/sample", CredentialRef: "secretsmanager:fiso/azure-key"},
			{Provider: GCP, Region: "us-central1", Target: "https://us-central1-p.cloudfunctions.net/fiso-sample", CredentialRef: "env:FISO_SECRET_GCP_SA_JSON"},
		},
	}
}

func TestNormalizeFillsDefaults(t *testing.T) {
	f := valid()
	f.Deployments[0].Provider = "AWS"
	f.Normalize()
	d := f.Deployments[0]
	if d.Provider != AWS || d.ID != "aws-us-east-1" || d.Arch != ARM64 {
		t.Errorf("got %+v, want provider aws, id aws-us-east-1, arch kept arm64", d)
	}
	if f.Deployments[1].Arch != X86_64 {
		t.Errorf("arch = %q, want default x86_64", f.Deployments[1].Arch)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(f *Function)
		fields []string // every field expected in the violations; none means valid
	}{
		{"valid", func(f *Function) {}, nil},
		{"lambda name target", func(f *Function) { f.Deployments[0].Target = "fiso-sample:live" }, nil},
		{"lambda $LATEST", func(f *Function) { f.Deployments[0].Target += ":$LATEST" }, nil},
		{"lambda bad qualifier", func(f *Function) { f.Deployments[0].Target = "fiso-sample:li$ve" }, []string{"deployments[0].target"}},
		{"loopback http", func(f *Function) { f.Deployments[2].Target = "http://127.0.0.1:9000/" }, nil},
		{"bad name", func(f *Function) { f.Name = "-x" }, []string{"name"}},
		{"no deployments", func(f *Function) { f.Deployments = nil }, []string{"deployments"}},
		{"unknown provider", func(f *Function) { f.Deployments[0].Provider = "oracle" }, []string{"deployments[0].provider"}},
		{"aws region", func(f *Function) { f.Deployments[0].Region = "eastus" }, []string{"deployments[0].region", "deployments[0].target"}},
		{"arn region mismatch", func(f *Function) { f.Deployments[0].Region = "eu-west-1" }, []string{"deployments[0].target"}},
		{"arn malformed", func(f *Function) { f.Deployments[0].Target = "arn:aws:s3:::bucket" }, []string{"deployments[0].target"}},
		{"plain http remote", func(f *Function) { f.Deployments[1].Target = "http://example.com/api/sample" }, []string{"deployments[1].target"}},
		{"relative url", func(f *Function) { f.Deployments[1].Target = "/api/sample" }, []string{"deployments[1].target"}},
		{"key in url", func(f *Function) { f.Deployments[1].Target = "https://a.azurewebsites.net/api/s?code=SECRET" }, []string{"deployments[1].target"}},
		{"userinfo in url", func(f *Function) { f.Deployments[2].Target = "https://u:p@x.run.app/" }, []string{"deployments[2].target"}},
		{"memory out of range", func(f *Function) { f.Deployments[0].MemoryMB = 64 }, []string{"deployments[0].memory_mb"}},
		{"azure memory", func(f *Function) { f.Deployments[1].MemoryMB = 8192 }, []string{"deployments[1].memory_mb"}},
		{"arch", func(f *Function) { f.Deployments[0].Arch = "sparc" }, []string{"deployments[0].arch"}},
		{"credential ref for aws", func(f *Function) { f.Deployments[0].CredentialRef = "env:X" }, []string{"deployments[0].credential_ref"}},
		{"raw secret as ref", func(f *Function) { f.Deployments[1].CredentialRef = "abc123secret" }, []string{"deployments[1].credential_ref"}},
		{"secret ARN under fiso/", func(f *Function) {
			f.Deployments[1].CredentialRef = "secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:fiso/azure-key-AbCdEf"
		}, nil},
		{"env outside the prefix", func(f *Function) { f.Deployments[2].CredentialRef = "env:AWS_SECRET_ACCESS_KEY" }, []string{"deployments[2].credential_ref"}},
		{"secret outside the prefix", func(f *Function) { f.Deployments[1].CredentialRef = "secretsmanager:prod/db-password" }, []string{"deployments[1].credential_ref"}},
		{"secret ARN outside the prefix", func(f *Function) {
			f.Deployments[1].CredentialRef = "secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
		}, []string{"deployments[1].credential_ref"}},
		{"duplicate ids", func(f *Function) {
			f.Deployments = append(f.Deployments, f.Deployments[0])
			f.Deployments[3].Target = "other"
		}, []string{"deployments[3].id"}},
		{"duplicate target", func(f *Function) {
			f.Deployments = append(f.Deployments, f.Deployments[0])
			f.Deployments[3].ID = "second"
		}, []string{"deployments[3].target"}},
		{"everything at once", func(f *Function) { f.Name = ""; f.Deployments[0].Arch = "x"; f.Deployments[1].Region = "East US" },
			[]string{"name", "deployments[0].arch", "deployments[1].region"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := valid()
			tc.edit(&f)
			f.Normalize()
			err := f.Validate()
			if len(tc.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *fault.Error
			if !errors.As(err, &fe) || !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("Validate() = %v, want a *fault.Error of kind ErrInvalid", err)
			}
			got := map[string]bool{}
			for _, v := range fe.Violations {
				got[v.Field] = true
			}
			for _, want := range tc.fields {
				if !got[want] {
					t.Errorf("violations %v lack field %q", fe.Violations, want)
				}
			}
			if len(fe.Violations) != len(tc.fields) {
				t.Errorf("got %d violations %v, want %d", len(fe.Violations), fe.Violations, len(tc.fields))
			}
		})
	}
}

func TestErrorsNeverEchoLongInput(t *testing.T) {
	f := valid()
	f.Name = strings.Repeat("x", 10_000)
	f.Normalize()
	err := f.Validate()
	if err == nil || len(err.Error()) > 400 {
		t.Errorf("error of %d bytes, want a short one", len(err.Error()))
	}
}
