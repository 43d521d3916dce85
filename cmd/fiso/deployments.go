package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
)

const deploymentsUsage = "usage: fiso deployments import --function NAME [--id ID] [--credential-ref env:FISO_SECRET_NAME|secretsmanager:fiso/NAME [--store-secret]] [FILE|-]"

// The outputs of terraform/aws, terraform/azure and terraform/gcp that the
// import reads: the deployment, and per provider the sensitive output that
// holds what FISO calls the function with.
const deploymentOutput = "fiso_deployment"

var credentialOutputs = map[catalog.Provider]string{
	catalog.Azure: "function_key",
	catalog.GCP:   "invoker_credentials",
}

// credentialNoun names each provider's credential in messages.
var credentialNoun = map[catalog.Provider]string{
	catalog.Azure: "function key",
	catalog.GCP:   "service-account key",
}

// runDeployments is `fiso deployments import`: it reads `terraform output
// -json` of one of the Terraform modules, stores the function's credential
// in Secrets Manager when asked, and adds the deployment to a function
// through FISO's API (replacing the deployment with the same ID), so that
// apply, import and invoke are the whole flow. The credential itself never
// goes to FISO, to stdout or to a log: FISO gets only the reference.
func runDeployments(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return usageError{deploymentsUsage}
	}
	fs := flag.NewFlagSet("deployments import", flag.ContinueOnError)
	function := fs.String("function", "", "the FISO function to add the deployment to (created when missing)")
	id := fs.String("id", "", "deployment ID (default <provider>-<region>); an existing deployment with this ID is replaced")
	ref := fs.String("credential-ref", "", "azure and gcp: where FISO reads the credential, env:FISO_SECRET_NAME or secretsmanager:fiso/NAME")
	storeSecret := fs.Bool("store-secret", false, "write the credential output to the Secrets Manager secret --credential-ref names (created or updated)")
	base := fs.String("url", envOr("FISO_URL", "http://127.0.0.1:8080"), "FISO's base URL (FISO_URL)")
	key := fs.String("key", firstEnv("FISO_API_KEY", "FISO_ADMIN_KEY"), "admin API key (FISO_API_KEY, else FISO_ADMIN_KEY)")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError{deploymentsUsage}
	}
	if *function == "" {
		return usageError{"fiso deployments import needs --function: the FISO function this deployment serves"}
	}
	if *key == "" {
		return usageError{"no API key: pass --key or set FISO_API_KEY (an admin key)"}
	}

	src, in, closeIn, err := openTerraformOutput(pos, stdin)
	if err != nil {
		return err
	}
	out, err := parseTerraformOutput(in, src)
	closeIn()
	if err != nil {
		return err
	}
	req := importRequest{Function: *function, ID: *id, CredentialRef: *ref, StoreSecret: *storeSecret}
	d, err := req.deployment(out, src)
	if err != nil {
		return err
	}

	if req.StoreSecret {
		secretID := strings.TrimPrefix(d.CredentialRef, "secretsmanager:")
		sm, err := newSecretsClient(ctx)
		if err != nil {
			return err
		}
		created, err := putSecret(ctx, sm, secretID, out.credential,
			fmt.Sprintf("FISO: %s of deployment %s of function %s (fiso deployments import)", credentialNoun[d.Provider], d.ID, req.Function))
		if err != nil {
			return err
		}
		verb := "updated"
		if created {
			verb = "stored"
		}
		fmt.Fprintf(stderr, "%s the %s in Secrets Manager secret %s\n", verb, credentialNoun[d.Provider], secretID)
	}

	reg := registrar{apiClient: newAPIClient(*base, *key), waits: conflictWaits, sleep: sleepCtx}
	res, err := reg.register(ctx, req.Function, d)
	if err != nil {
		return fmt.Errorf("register deployment %s of function %s with FISO at %s: %w", d.ID, req.Function, *base, err)
	}
	fn := fmt.Sprintf("function %s (version %d)", req.Function, res.version)
	if res.created {
		fn = fmt.Sprintf("function %s (created, version %d)", req.Function, res.version)
	}
	verb := "replaced"
	if res.added {
		verb = "added"
	}
	fmt.Fprintf(stdout, "%s: %s deployment %s: %s %s, plan %s, %s\n", fn, verb, d.ID, d.Provider, d.Region, d.Plan, d.Target)
	if d.CredentialRef != "" && !req.StoreSecret {
		fmt.Fprintln(stderr, credentialHint(d, out.credentialName))
	}
	return nil
}

// credentialHint tells where FISO will look for the credential the import
// did not store itself.
func credentialHint(d catalog.Deployment, output string) string {
	if name, ok := strings.CutPrefix(d.CredentialRef, "env:"); ok {
		return fmt.Sprintf("FISO reads the %s from %s: set it in the control plane's environment to `terraform output -raw %s`", credentialNoun[d.Provider], name, output)
	}
	return fmt.Sprintf("FISO reads the %s from Secrets Manager secret %s: run again with --store-secret, or store `terraform output -raw %s` there",
		credentialNoun[d.Provider], strings.TrimPrefix(d.CredentialRef, "secretsmanager:"), output)
}

// openTerraformOutput opens the file named in pos, or stdin for "-" or no
// name. It refuses a terminal, where the import would wait for input no one
// means to type.
func openTerraformOutput(pos []string, stdin io.Reader) (string, io.Reader, func(), error) {
	if len(pos) == 1 && pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return "", nil, nil, fmt.Errorf("read terraform output %q: %w", pos[0], err)
		}
		return strconv.Quote(pos[0]), f, func() { f.Close() }, nil
	}
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return "", nil, nil, usageError{"pipe `terraform output -json` into fiso deployments import, or name the file it was saved to"}
		}
	}
	return "from stdin", stdin, func() {}, nil
}

// terraformOutput is what the import takes from `terraform output -json`.
type terraformOutput struct {
	deployment rawDeployment
	// credential is the value of the provider's sensitive output ("" when
	// absent or null), and credentialName that output's name.
	credential     string
	credentialName string
	hasCredential  bool
}

// rawDeployment is the value of the fiso_deployment output. Pointers tell a
// missing field from an empty one.
type rawDeployment struct {
	Provider *string  `json:"provider"`
	Region   *string  `json:"region"`
	Target   *string  `json:"target"`
	MemoryMB *float64 `json:"memory_mb"`
	Arch     *string  `json:"arch"`
	Plan     *string  `json:"plan"`
}

// tfOutput is one output as `terraform output -json` prints it.
type tfOutput struct {
	Sensitive bool            `json:"sensitive"`
	Type      json.RawMessage `json:"type"`
	Value     json.RawMessage `json:"value"`
}

// parseTerraformOutput reads the JSON `terraform output -json` prints: an
// object of outputs, each {"sensitive", "type", "value"}. Messages never
// quote values, since some are secrets.
func parseTerraformOutput(r io.Reader, src string) (terraformOutput, error) {
	var all map[string]json.RawMessage
	dec := json.NewDecoder(r)
	if err := dec.Decode(&all); err != nil {
		return terraformOutput{}, fmt.Errorf("read terraform output %s: it is not the JSON object `terraform output -json` prints: %w", src, err)
	}
	raw, ok := all[deploymentOutput]
	if !ok {
		return terraformOutput{}, fmt.Errorf("read terraform output %s: %s", src, whyNoDeployment(all))
	}
	var dep tfOutput
	if err := json.Unmarshal(raw, &dep); err != nil {
		return terraformOutput{}, fmt.Errorf("read terraform output %s: output %q is not {\"sensitive\", \"type\", \"value\"}: %w", src, deploymentOutput, err)
	}
	var out terraformOutput
	if len(dep.Value) == 0 || string(dep.Value) == "null" {
		return terraformOutput{}, fmt.Errorf("read terraform output %s: output %q has no value; did `terraform apply` finish?", src, deploymentOutput)
	}
	if err := json.Unmarshal(dep.Value, &out.deployment); err != nil {
		return terraformOutput{}, fmt.Errorf("read terraform output %s: output %q is not an object of provider, region, target, memory_mb, arch and plan: %w", src, deploymentOutput, err)
	}
	var missing []string
	for _, f := range []struct {
		name string
		ok   bool
	}{{"provider", out.deployment.Provider != nil}, {"region", out.deployment.Region != nil}, {"target", out.deployment.Target != nil}} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return terraformOutput{}, fmt.Errorf("read terraform output %s: output %q lacks %s", src, deploymentOutput, strings.Join(missing, ", "))
	}

	out.credentialName = credentialOutputs[catalog.Provider(strings.ToLower(*out.deployment.Provider))]
	if raw, ok := all[out.credentialName]; ok && out.credentialName != "" {
		var c tfOutput
		if err := json.Unmarshal(raw, &c); err != nil {
			return terraformOutput{}, fmt.Errorf("read terraform output %s: output %q is not {\"sensitive\", \"type\", \"value\"}", src, out.credentialName)
		}
		if len(c.Value) > 0 && string(c.Value) != "null" {
			if err := json.Unmarshal(c.Value, &out.credential); err != nil {
				return terraformOutput{}, fmt.Errorf("read terraform output %s: output %q is not a string", src, out.credentialName)
			}
		}
		out.hasCredential = true
	}
	return out, nil
}

// whyNoDeployment explains outputs without fiso_deployment, by what they
// look like instead.
func whyNoDeployment(all map[string]json.RawMessage) string {
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	switch {
	case len(names) == 0:
		return "there are no outputs; run `terraform apply` in terraform/aws, terraform/azure or terraform/gcp first"
	case slices.Contains(names, "provider") && slices.Contains(names, "target"):
		return "this is the value of one output; pass all of them (`terraform output -json`, without an output name)"
	}
	return fmt.Sprintf("no %q output among %s; is this the output of terraform/aws, terraform/azure or terraform/gcp?", deploymentOutput, strings.Join(names, ", "))
}

// importRequest is what the operator asked for on the command line.
type importRequest struct {
	Function      string
	ID            string
	CredentialRef string
	StoreSecret   bool
}

// deployment builds the catalog deployment from the output and checks it,
// and the credential options, with the catalog's own rules.
func (q importRequest) deployment(out terraformOutput, src string) (catalog.Deployment, error) {
	raw := out.deployment
	d := catalog.Deployment{
		ID:            q.ID,
		Provider:      catalog.Provider(strings.ToLower(*raw.Provider)),
		Region:        *raw.Region,
		Target:        *raw.Target,
		CredentialRef: q.CredentialRef,
	}
	if raw.MemoryMB != nil {
		if m := *raw.MemoryMB; m != float64(int(m)) {
			return catalog.Deployment{}, fmt.Errorf("read terraform output %s: memory_mb %v is not a whole number of MB", src, m)
		}
		d.MemoryMB = int(*raw.MemoryMB)
	}
	if raw.Arch != nil {
		d.Arch = catalog.Arch(*raw.Arch)
	}
	if raw.Plan != nil {
		d.Plan = *raw.Plan
	}
	if !d.Provider.Valid() {
		return catalog.Deployment{}, fmt.Errorf("read terraform output %s: provider %q is not one of aws, azure, gcp", src, *raw.Provider)
	}
	if err := q.checkCredential(d.Provider, out); err != nil {
		return catalog.Deployment{}, err
	}
	f := catalog.Function{Name: q.Function, Deployments: []catalog.Deployment{d}}
	f.Normalize()
	if err := f.Validate(); err != nil {
		return catalog.Deployment{}, fmt.Errorf("the deployment in terraform output %s is not one FISO accepts: %w", src, relabel(err))
	}
	return f.Deployments[0], nil
}

// relabel names the fields of the catalog's violations after where the
// operator set them: the output's fields and the command's flags.
func relabel(err error) error {
	var fe *fault.Error
	if !errors.As(err, &fe) || len(fe.Violations) == 0 {
		return err
	}
	flags := map[string]string{"name": "--function", "id": "--id", "credential_ref": "--credential-ref"}
	vs := make(fault.Violations, 0, len(fe.Violations))
	for _, v := range fe.Violations {
		field := strings.TrimPrefix(v.Field, "deployments[0].")
		if flag, ok := flags[field]; ok {
			field = flag
		} else if field != v.Field {
			field = deploymentOutput + "." + field
		}
		vs = append(vs, fault.Violation{Field: field, Reason: v.Reason})
	}
	return vs.Err()
}

// checkCredential checks the credential options against the provider: AWS
// needs none (FISO invokes with its own IAM role); Azure and GCP need a
// reference, and --store-secret needs a Secrets Manager one and the value.
func (q importRequest) checkCredential(p catalog.Provider, out terraformOutput) error {
	if p == catalog.AWS {
		if q.CredentialRef != "" || q.StoreSecret {
			return usageError{"aws deployments are invoked with the control plane's own IAM role: leave out --credential-ref and --store-secret"}
		}
		return nil
	}
	noun := credentialNoun[p]
	if q.CredentialRef == "" {
		return usageError{fmt.Sprintf("%s deployments need --credential-ref: where FISO reads the %s (env:%sNAME or secretsmanager:%sNAME)",
			p, noun, catalog.CredentialEnvPrefix, catalog.CredentialSecretPrefix)}
	}
	if msg := catalog.CredentialRefProblem(q.CredentialRef); msg != "" {
		return usageError{fmt.Sprintf("--credential-ref %q: %s", q.CredentialRef, msg)}
	}
	if !q.StoreSecret {
		return nil
	}
	if !strings.HasPrefix(q.CredentialRef, "secretsmanager:") {
		return usageError{fmt.Sprintf("--store-secret writes to Secrets Manager, but --credential-ref is %s; set that variable in the control plane's environment to `terraform output -raw %s` instead", q.CredentialRef, out.credentialName)}
	}
	switch {
	case !out.hasCredential:
		return fmt.Errorf("--store-secret: the terraform output has no %q output, which holds the %s", out.credentialName, noun)
	case out.credential == "" && p == catalog.GCP:
		return fmt.Errorf("--store-secret: output %q is empty: the module was applied with create_invoker_key = false; store a key of the invoker service account yourself", out.credentialName)
	case out.credential == "":
		return fmt.Errorf("--store-secret: output %q is empty", out.credentialName)
	case p == catalog.GCP && !isServiceAccountKey(out.credential):
		return fmt.Errorf("--store-secret: output %q is not a service-account JSON key", out.credentialName)
	}
	return nil
}

// isServiceAccountKey reports whether s is the JSON of a service-account
// key, the kind FISO's GCP invoker mints ID tokens with.
func isServiceAccountKey(s string) bool {
	var k struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	return json.Unmarshal([]byte(s), &k) == nil && k.Type == "service_account" && k.ClientEmail != "" && k.PrivateKey != ""
}

// SecretWriter is the part of Secrets Manager the import writes with;
// *secretsmanager.Client satisfies it.
type SecretWriter interface {
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	CreateSecret(ctx context.Context, in *secretsmanager.CreateSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
}

var _ SecretWriter = (*secretsmanager.Client)(nil)

// newSecretsClient builds a Secrets Manager client the way the control plane
// does: the SDK's default configuration, and FISO_SECRETSMANAGER_ENDPOINT.
func newSecretsClient(ctx context.Context) (*secretsmanager.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration for Secrets Manager: %w", err)
	}
	if cfg.Region == "" {
		return nil, usageError{"--store-secret: no AWS region; set AWS_REGION to the control plane's region"}
	}
	endpoint := os.Getenv("FISO_SECRETSMANAGER_ENDPOINT")
	return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// putSecret writes value as the current version of secret id, creating the
// secret when it does not exist. It reports whether it created it.
func putSecret(ctx context.Context, sm SecretWriter, id, value, description string) (bool, error) {
	_, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(value)})
	var notFound *smtypes.ResourceNotFoundException
	switch {
	case err == nil:
		return false, nil
	case !errors.As(err, &notFound):
		return false, fmt.Errorf("write Secrets Manager secret %s: %w", id, err)
	case strings.HasPrefix(id, "arn:"):
		return false, fmt.Errorf("write Secrets Manager secret %s: no such secret; name a secret by its name to have it created: %w", id, err)
	}
	_, err = sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(id),
		SecretString: aws.String(value),
		Description:  aws.String(description),
		Tags:         []smtypes.Tag{{Key: aws.String("fiso:credential"), Value: aws.String("true")}},
	})
	if err != nil {
		return false, fmt.Errorf("create Secrets Manager secret %s: %w", id, err)
	}
	return true, nil
}

// conflictWaits are the pauses before each retry of a write that lost a race
// with another writer. They add up to more than the control plane's cache
// TTL, after which every instance reads the winner's version.
var conflictWaits = []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}

// registrar adds a deployment to a function through FISO's API, as a
// read-modify-write conditional on the version read (If-Match).
type registrar struct {
	apiClient
	waits []time.Duration
	sleep func(context.Context, time.Duration) error
}

type registration struct {
	version int64
	// created: the function did not exist; added: it had no deployment with
	// this ID (so a created function's deployment is added).
	created, added bool
}

// errConflict marks a write that another writer overtook.
var errConflict = errors.New("the function changed while it was being updated")

func (r registrar) register(ctx context.Context, name string, d catalog.Deployment) (registration, error) {
	for attempt := 0; ; attempt++ {
		res, err := r.registerOnce(ctx, name, d)
		if !errors.Is(err, errConflict) || attempt >= len(r.waits) {
			return res, err
		}
		if err := r.sleep(ctx, r.waits[attempt]); err != nil {
			return registration{}, fmt.Errorf("wait to retry: %w", err)
		}
	}
}

func (r registrar) registerOnce(ctx context.Context, name string, d catalog.Deployment) (registration, error) {
	path := "/v1/functions/" + url.PathEscape(name)
	status, header, body, err := r.call(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return registration{}, err
	}
	var f catalog.Function
	var res registration
	putHeader := http.Header{}
	switch {
	case status == http.StatusNotFound:
		f, res.created = catalog.Function{Name: name}, true
	case status == http.StatusOK:
		if err := json.Unmarshal(body, &f); err != nil {
			return registration{}, fmt.Errorf("read function %s from FISO: %w", name, err)
		}
		if etag := header.Get("ETag"); etag != "" {
			putHeader.Set("If-Match", etag)
		}
	default:
		return registration{}, fmt.Errorf("read function %s: %w", name, problemError(status, body))
	}
	deployments, added, err := withDeployment(f.Deployments, d)
	if err != nil {
		return registration{}, fmt.Errorf("function %s: %w", name, err)
	}
	res.added = added
	put := struct {
		Description string               `json:"description,omitempty"`
		Deployments []catalog.Deployment `json:"deployments"`
		Version     int64                `json:"version,omitempty"`
	}{f.Description, deployments, f.Version}
	status, _, body, err = r.call(ctx, http.MethodPut, path, put, putHeader)
	switch {
	case err != nil:
		return registration{}, err
	case status == http.StatusConflict && !res.created:
		return registration{}, fmt.Errorf("%w: %w", errConflict, problemError(status, body))
	case status != http.StatusOK && status != http.StatusCreated:
		return registration{}, fmt.Errorf("write function %s: %w", name, problemError(status, body))
	}
	var stored catalog.Function
	if err := json.Unmarshal(body, &stored); err != nil {
		return registration{}, fmt.Errorf("read FISO's answer to writing function %s: %w", name, err)
	}
	res.version = stored.Version
	return res, nil
}

// withDeployment returns ds with d in place of the deployment with d's ID,
// or added at the end. Another deployment with the same target would make
// two IDs for one function, which FISO refuses; the error says which ID to
// replace instead.
func withDeployment(ds []catalog.Deployment, d catalog.Deployment) ([]catalog.Deployment, bool, error) {
	out := make([]catalog.Deployment, 0, len(ds)+1)
	added := true
	for _, e := range ds {
		switch {
		case e.ID == d.ID:
			out = append(out, d)
			added = false
		case e.Provider == d.Provider && e.Target == d.Target:
			return nil, false, fmt.Errorf("deployment %s already has target %s; pass --id %s to replace it", e.ID, d.Target, e.ID)
		default:
			out = append(out, e)
		}
	}
	if added {
		out = append(out, d)
	}
	return out, added, nil
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
