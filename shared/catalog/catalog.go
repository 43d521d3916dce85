// Package catalog describes what FISO can invoke: logical functions and the
// deployments of each one on AWS Lambda, Azure Functions and Google Cloud
// Functions. It validates them; it does not know how to store or call them.
package catalog

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/fault"
)

// Provider is a cloud FISO can route to.
type Provider string

// The providers FISO knows.
const (
	AWS   Provider = "aws"
	Azure Provider = "azure"
	GCP   Provider = "gcp"
)

// Providers lists every provider in a stable order.
func Providers() []Provider { return []Provider{AWS, Azure, GCP} }

// Valid reports whether p is one of the known providers.
func (p Provider) Valid() bool { return p == AWS || p == Azure || p == GCP }

// Arch is a CPU architecture a deployment runs on.
type Arch string

// The architectures the three clouds offer for functions.
const (
	X86_64 Arch = "x86_64"
	ARM64  Arch = "arm64"
)

// Limits that keep one item small enough for a single DynamoDB read.
const (
	MaxDeployments    = 20
	MaxDescriptionLen = 512
	MaxTargetLen      = 2048
)

// Function is a logical function: one name, deployed on one or more clouds.
type Function struct {
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Deployments []Deployment `json:"deployments"`
	// ActivePolicy is the name of the policy that routes this function, set
	// only by activating a policy.
	ActivePolicy string    `json:"active_policy,omitempty"`
	Version      int64     `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Deployment is one copy of a function on one cloud and region.
type Deployment struct {
	// ID is unique within its function; it defaults to "<provider>-<region>".
	ID       string   `json:"id"`
	Provider Provider `json:"provider"`
	Region   string   `json:"region"`
	// Target is a Lambda function ARN or name for aws, and the HTTPS URL of
	// the function for azure and gcp.
	Target   string `json:"target"`
	MemoryMB int    `json:"memory_mb,omitempty"`
	Arch     Arch   `json:"arch,omitempty"`
	// Plan is the pricing plan the deployment runs on: lambda (aws),
	// consumption or flex (azure), gen2 or gen1 (gcp). It defaults to the
	// provider's first.
	Plan string `json:"plan,omitempty"`
	// CredentialRef says where the secret needed to call the target lives
	// (env:NAME or secretsmanager:ID): the Azure function key, or the GCP
	// service-account JSON used to mint ID tokens. Never the secret itself.
	CredentialRef string `json:"credential_ref,omitempty"`
}

var (
	nameRE         = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	deploymentIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	lambdaNameRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$`)
	lambdaARNRE    = regexp.MustCompile(`^arn:aws(?:-cn|-us-gov)?:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]{1,64})(?::(\$LATEST|[A-Za-z0-9_-]{1,128}))?$`)
	envRefRE       = regexp.MustCompile(`^env:[A-Za-z_][A-Za-z0-9_]{0,127}$`)
	secretsRefRE   = regexp.MustCompile(`^secretsmanager:[A-Za-z0-9/_+=.@:-]{1,1000}$`)
	regionRE       = map[Provider]*regexp.Regexp{
		AWS:   regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`),
		Azure: regexp.MustCompile(`^[a-z][a-z0-9]{1,39}$`),
		GCP:   regexp.MustCompile(`^[a-z]+-[a-z]+\d{1,2}$`),
	}
	regionExample = map[Provider]string{AWS: "us-east-1", Azure: "eastus", GCP: "us-central1"}
	memoryLimits  = map[Provider][2]int{AWS: {128, 10240}, Azure: {128, 4096}, GCP: {128, 32768}}
)

// NameProblem says what is wrong with the name of a function or policy, or ""
// when it is valid. kind names the thing in the message ("function", "policy").
func NameProblem(kind, name string) string {
	if nameRE.MatchString(name) {
		return ""
	}
	return fmt.Sprintf("%s name %q must be 1-64 characters of letters, digits, '-', '_' or '.', starting with a letter or digit", kind, truncate(name))
}

// CheckName validates a name taken from a request path.
func CheckName(kind, name string) error {
	if msg := NameProblem(kind, name); msg != "" {
		return fault.Invalid("name", "%s", msg)
	}
	return nil
}

// Normalize fills defaults (deployment IDs, architecture) in place, so that
// what is stored is what is shown.
func (f *Function) Normalize() {
	for i := range f.Deployments {
		d := &f.Deployments[i]
		d.Provider = Provider(strings.ToLower(string(d.Provider)))
		if d.ID == "" && d.Provider != "" && d.Region != "" {
			d.ID = defaultID(d.Provider, d.Region)
		}
		if d.Arch == "" {
			d.Arch = X86_64
		}
		if d.Plan == "" {
			if plans := PlansOf(d.Provider); len(plans) > 0 {
				d.Plan = plans[0]
			}
		}
	}
}

// defaultID is "<provider>-<region>", reduced to the ID alphabet so that a
// bad region is reported once, as a bad region, not again as a bad ID.
func defaultID(p Provider, region string) string {
	b := []byte(strings.ToLower(string(p) + "-" + region))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			b[i] = '-'
		}
	}
	if len(b) > 63 {
		b = b[:63]
	}
	return string(b)
}

// Validate reports every problem with f at once.
func (f *Function) Validate() error {
	var vs fault.Violations
	if msg := NameProblem("function", f.Name); msg != "" {
		vs.Add("name", "%s", msg)
	}
	if len(f.Description) > MaxDescriptionLen {
		vs.Add("description", "must be at most %d characters", MaxDescriptionLen)
	}
	switch n := len(f.Deployments); {
	case n == 0:
		vs.Add("deployments", "a function needs at least one deployment")
	case n > MaxDeployments:
		vs.Add("deployments", "at most %d deployments, got %d", MaxDeployments, n)
	}
	ids := map[string]bool{}
	targets := map[string]bool{}
	for i, d := range f.Deployments {
		field := fmt.Sprintf("deployments[%d]", i)
		d.validate(field, &vs)
		if d.ID != "" {
			if ids[d.ID] {
				vs.Add(field+".id", "id %q is used twice; give each deployment a distinct id", d.ID)
			}
			ids[d.ID] = true
		}
		key := string(d.Provider) + " " + d.Target
		if d.Target != "" && targets[key] {
			vs.Add(field+".target", "target is listed twice for provider %s", d.Provider)
		}
		targets[key] = true
	}
	return vs.Err()
}

func (d Deployment) validate(field string, vs *fault.Violations) {
	if !deploymentIDRE.MatchString(d.ID) {
		vs.Add(field+".id", "id %q must be 1-63 lower-case letters, digits or '-'", truncate(d.ID))
	}
	if !d.Provider.Valid() {
		vs.Add(field+".provider", "provider %q is not one of aws, azure, gcp", truncate(string(d.Provider)))
		return
	}
	if !regionRE[d.Provider].MatchString(d.Region) {
		vs.Add(field+".region", "%q is not a %s region name (for example %s)", truncate(d.Region), d.Provider, regionExample[d.Provider])
	}
	if len(d.Target) > MaxTargetLen {
		vs.Add(field+".target", "must be at most %d characters", MaxTargetLen)
	} else if msg := checkTarget(d); msg != "" {
		vs.Add(field+".target", "%s", msg)
	}
	if d.MemoryMB != 0 {
		lim := memoryLimits[d.Provider]
		if d.MemoryMB < lim[0] || d.MemoryMB > lim[1] {
			vs.Add(field+".memory_mb", "%d is outside %s's %d-%d MB", d.MemoryMB, d.Provider, lim[0], lim[1])
		}
	}
	if d.Arch != X86_64 && d.Arch != ARM64 {
		vs.Add(field+".arch", "arch %q is not x86_64 or arm64", truncate(string(d.Arch)))
	}
	if plans := PlansOf(d.Provider); !slices.Contains(plans, d.Plan) {
		vs.Add(field+".plan", "plan %q is not one of %s's plans %v", truncate(d.Plan), d.Provider, plans)
	}
	if d.Arch == ARM64 && d.Provider != AWS {
		vs.Add(field+".arch", "%s functions run on x86_64 only", d.Provider)
	}
	if msg := checkCredentialRef(d); msg != "" {
		vs.Add(field+".credential_ref", "%s", msg)
	}
}

func checkTarget(d Deployment) string {
	if d.Target == "" {
		return "target is required"
	}
	if d.Provider == AWS {
		if m := lambdaARNRE.FindStringSubmatch(d.Target); m != nil {
			if m[1] != d.Region {
				return fmt.Sprintf("the ARN is in region %s but the deployment says %s", m[1], d.Region)
			}
			return ""
		}
		if lambdaNameRE.MatchString(d.Target) {
			return ""
		}
		return "must be a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME) or function name"
	}
	u, err := url.Parse(d.Target)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "must be an absolute https:// URL of the function"
	}
	switch {
	case u.User != nil:
		return "must not carry credentials; put them behind credential_ref"
	case u.Fragment != "":
		return "must not have a #fragment"
	case u.Scheme == "http" && !IsLoopback(u.Hostname()):
		return "must use https (plain http is allowed only for loopback hosts)"
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Sprintf("scheme %q is not https", u.Scheme)
	case d.Provider == Azure && u.Query().Has("code"):
		return "must not carry the function key in ?code=; reference it with credential_ref"
	}
	return ""
}

func checkCredentialRef(d Deployment) string {
	switch {
	case d.CredentialRef == "":
		return ""
	case d.Provider == AWS:
		return "aws deployments are invoked with the control plane's own IAM role; leave credential_ref empty"
	}
	return CredentialRefProblem(d.CredentialRef)
}

// Credential references may only name secrets kept for FISO's deployments:
// environment variables starting with CredentialEnvPrefix and Secrets
// Manager secrets whose names start with CredentialSecretPrefix. Otherwise
// an admin key could point a deployment at any secret the control plane can
// read (the AWS credentials in its own environment, say) and have FISO send
// it to a URL of the admin's choosing.
const (
	CredentialEnvPrefix    = "FISO_SECRET_"
	CredentialSecretPrefix = "fiso/"
)

// CredentialRefProblem says what is wrong with a credential reference, or ""
// when it is acceptable. The secret resolver applies the same rule.
func CredentialRefProblem(ref string) string {
	switch {
	case envRefRE.MatchString(ref):
		if !strings.HasPrefix(ref, "env:"+CredentialEnvPrefix) {
			return "environment variables for credentials must be named " + CredentialEnvPrefix + "*"
		}
		return ""
	case secretsRefRE.MatchString(ref):
		if !strings.HasPrefix(secretName(strings.TrimPrefix(ref, "secretsmanager:")), CredentialSecretPrefix) {
			return "Secrets Manager secrets for credentials must be named " + CredentialSecretPrefix + "*"
		}
		return ""
	}
	return "must be env:" + CredentialEnvPrefix + "NAME or secretsmanager:" + CredentialSecretPrefix + "NAME (the reference, never the secret itself)"
}

// secretName is the name part of a Secrets Manager secret ID, which is a
// name or an ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX).
func secretName(id string) string {
	if !strings.HasPrefix(id, "arn:") {
		return id
	}
	parts := strings.SplitN(id, ":", 7)
	if len(parts) != 7 || parts[2] != "secretsmanager" || parts[5] != "secret" {
		return ""
	}
	return parts[6]
}

// PlansOf lists a provider's pricing plans, the default first. The pricing
// package defines what each costs.
func PlansOf(p Provider) []string {
	switch p {
	case AWS:
		return []string{"lambda"}
	case Azure:
		return []string{"consumption", "flex"}
	case GCP:
		return []string{"gen2", "gen1"}
	}
	return nil
}

// IsLoopback reports whether host names this machine, the only place FISO
// accepts plain-http targets (and sends credentials over plain http).
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Deployment returns the deployment with the given ID.
func (f *Function) Deployment(id string) (Deployment, bool) {
	for _, d := range f.Deployments {
		if d.ID == id {
			return d, true
		}
	}
	return Deployment{}, false
}

// HasProvider reports whether f has a deployment on p.
func (f *Function) HasProvider(p Provider) bool {
	for _, d := range f.Deployments {
		if d.Provider == p {
			return true
		}
	}
	return false
}

// truncate keeps echoed input short in error messages.
func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
