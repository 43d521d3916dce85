// Package policy holds routing policies: which deployment of a function FISO
// calls first and in which order it fails over to the others. A policy routes
// one function; at most one policy per function is active at a time.
package policy

import (
	"fmt"
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
)

// Strategy names how a policy orders the deployments of its function.
type Strategy string

// Static routes to the policy's default provider and target, then fails over
// in the policy's order. It is the seed design's behaviour.
const Static Strategy = "static"

// Strategies lists the strategies this build can route with.
func Strategies() []Strategy { return []Strategy{Static} }

// Policy is a routing policy as in the seed design's policies table (name,
// default_provider, default target, is_active, created_at) plus the function
// it routes and an ordered failover list.
type Policy struct {
	Name     string   `json:"name"`
	Function string   `json:"function"`
	Strategy Strategy `json:"strategy"`
	// DefaultProvider is tried first.
	DefaultProvider catalog.Provider `json:"default_provider"`
	// DefaultTarget optionally pins the exact deployment target (Lambda ARN or
	// URL) among the function's deployments on DefaultProvider.
	DefaultTarget string `json:"default_target,omitempty"`
	// Failover orders the providers to try after the default deployment. Empty
	// means every other deployment in the function's declared order.
	Failover  []catalog.Provider `json:"failover,omitempty"`
	IsActive  bool               `json:"is_active"`
	Version   int64              `json:"version"`
	CreatedAt time.Time          `json:"created_at"`
	UpdatedAt time.Time          `json:"updated_at"`
}

// Normalize fills defaults in place.
func (p *Policy) Normalize() {
	if p.Strategy == "" {
		p.Strategy = Static
	}
	p.Strategy = Strategy(strings.ToLower(string(p.Strategy)))
	p.DefaultProvider = catalog.Provider(strings.ToLower(string(p.DefaultProvider)))
	for i, fp := range p.Failover {
		p.Failover[i] = catalog.Provider(strings.ToLower(string(fp)))
	}
}

// Validate checks the policy on its own; CheckAgainst checks it against the
// function it routes.
func (p *Policy) Validate() error {
	var vs fault.Violations
	if msg := catalog.NameProblem("policy", p.Name); msg != "" {
		vs.Add("name", "%s", msg)
	}
	if msg := catalog.NameProblem("function", p.Function); msg != "" {
		vs.Add("function", "%s", msg)
	}
	known := false
	for _, s := range Strategies() {
		known = known || s == p.Strategy
	}
	if !known {
		vs.Add("strategy", "strategy %q is not available; use one of %v", p.Strategy, Strategies())
	}
	if !p.DefaultProvider.Valid() {
		vs.Add("default_provider", "%q is not one of aws, azure, gcp", p.DefaultProvider)
	}
	if len(p.DefaultTarget) > catalog.MaxTargetLen {
		vs.Add("default_target", "must be at most %d characters", catalog.MaxTargetLen)
	}
	seen := map[catalog.Provider]bool{}
	for i, fp := range p.Failover {
		field := fmt.Sprintf("failover[%d]", i)
		switch {
		case !fp.Valid():
			vs.Add(field, "%q is not one of aws, azure, gcp", fp)
		case seen[fp]:
			vs.Add(field, "%s is listed twice", fp)
		}
		seen[fp] = true
	}
	return vs.Err()
}

// CheckAgainst reports whether p can route f: the default provider must have a
// deployment, and a default target must be one of that provider's targets.
func (p *Policy) CheckAgainst(f catalog.Function) error {
	if !f.HasProvider(p.DefaultProvider) {
		return fault.Invalid("default_provider", "function %q has no %s deployment", f.Name, p.DefaultProvider)
	}
	if p.DefaultTarget == "" {
		return nil
	}
	for _, d := range f.Deployments {
		if d.Provider == p.DefaultProvider && d.Target == p.DefaultTarget {
			return nil
		}
	}
	return fault.Invalid("default_target", "function %q has no %s deployment with this target", f.Name, p.DefaultProvider)
}
