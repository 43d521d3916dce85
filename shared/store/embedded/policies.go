package embedded

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/store"
)

// GetPolicy implements store.Policies.
func (s *Store) GetPolicy(ctx context.Context, name string) (policy.Policy, error) {
	var p policy.Policy
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		p, err = mustGetPolicy(tx, name)
		return err
	})
	if err != nil {
		return policy.Policy{}, fmt.Errorf("get policy %q: %w", name, err)
	}
	return p, nil
}

// ListPolicies implements store.Policies.
func (s *Store) ListPolicies(ctx context.Context) ([]policy.Policy, error) {
	ps, err := list[policy.Policy](s.db, bucketPolicies)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	return ps, nil
}

// PutPolicy implements store.Policies.
func (s *Store) PutPolicy(ctx context.Context, p policy.Policy, expect int64) (policy.Policy, bool, error) {
	if err := store.CheckKeyPart("name", p.Name); err != nil {
		return policy.Policy{}, false, fmt.Errorf("put policy: %w", err)
	}
	var created bool
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, found, err := getJSON[policy.Policy](tx, bucketPolicies, p.Name)
		if err != nil {
			return err
		}
		if err := store.CheckVersion("policy", p.Name, found, old.Version, expect); err != nil {
			return err
		}
		if old.IsActive && old.Function != p.Function {
			return store.MovingActive(p.Name, old.Function, p.Function)
		}
		created = !found
		p.UpdatedAt = p.UpdatedAt.UTC()
		p.CreatedAt = p.UpdatedAt
		if found {
			p.CreatedAt = old.CreatedAt
		}
		p.IsActive = old.IsActive // only activation sets it
		p.Version = old.Version + 1
		return putJSON(tx, bucketPolicies, p.Name, p)
	})
	if err != nil {
		return policy.Policy{}, false, fmt.Errorf("put policy %q: %w", p.Name, err)
	}
	return p, created, nil
}

// DeletePolicy implements store.Policies.
func (s *Store) DeletePolicy(ctx context.Context, name string, expect int64) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		p, err := mustGetPolicy(tx, name)
		if err != nil {
			return err
		}
		if p.IsActive {
			return fault.Conflict("policy %q is active; activate another policy or deactivate it before deleting it", name)
		}
		if err := store.CheckVersion("policy", name, true, p.Version, expect); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketPolicies)).Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("delete policy %q: %w", name, err)
	}
	return nil
}

// ActivatePolicy implements store.Policies. One bbolt transaction covers the
// policy, the one it replaces, the function and the default-function
// setting, so no reader ever sees two active policies for one function.
// Activation is not a definition write: versions stay, UpdatedAt becomes now
// on every item whose state changes.
func (s *Store) ActivatePolicy(ctx context.Context, name string, now time.Time) (policy.Policy, error) {
	now = now.UTC()
	var p policy.Policy
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if p, err = mustGetPolicy(tx, name); err != nil {
			return err
		}
		f, found, err := getJSON[catalog.Function](tx, bucketFunctions, p.Function)
		if err != nil {
			return err
		}
		if !found {
			return fault.Conflict("policy %q routes function %q, which does not exist; create the function before activating the policy", name, p.Function)
		}
		if prev := f.ActivePolicy; prev != "" && prev != name {
			old, found, err := getJSON[policy.Policy](tx, bucketPolicies, prev)
			if err != nil {
				return err
			}
			if found {
				old.IsActive, old.UpdatedAt = false, now
				if err := putJSON(tx, bucketPolicies, prev, old); err != nil {
					return err
				}
			}
		}
		p.IsActive, p.UpdatedAt = true, now
		f.ActivePolicy, f.UpdatedAt = name, now
		if err := putJSON(tx, bucketPolicies, name, p); err != nil {
			return err
		}
		if err := putJSON(tx, bucketFunctions, f.Name, f); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketSettings)).Put([]byte(settingDefaultFunction), []byte(f.Name))
	})
	if err != nil {
		return policy.Policy{}, fmt.Errorf("activate policy %q: %w", name, err)
	}
	return p, nil
}

// DeactivatePolicy implements store.Policies. Deactivating an inactive
// policy changes nothing.
func (s *Store) DeactivatePolicy(ctx context.Context, name string, now time.Time) (policy.Policy, error) {
	now = now.UTC()
	var p policy.Policy
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if p, err = mustGetPolicy(tx, name); err != nil {
			return err
		}
		f, found, err := getJSON[catalog.Function](tx, bucketFunctions, p.Function)
		if err != nil {
			return err
		}
		routes := found && f.ActivePolicy == name
		if !p.IsActive && !routes {
			return nil
		}
		if routes {
			f.ActivePolicy, f.UpdatedAt = "", now
			if err := putJSON(tx, bucketFunctions, f.Name, f); err != nil {
				return err
			}
		}
		p.IsActive, p.UpdatedAt = false, now
		return putJSON(tx, bucketPolicies, name, p)
	})
	if err != nil {
		return policy.Policy{}, fmt.Errorf("deactivate policy %q: %w", name, err)
	}
	return p, nil
}

// DefaultFunction implements store.Policies.
func (s *Store) DefaultFunction(ctx context.Context) (string, error) {
	var name string
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte(bucketSettings)).Get([]byte(settingDefaultFunction))
		if v == nil {
			return fault.NotFound("no policy has been activated yet, so there is no default function")
		}
		name = string(v)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("get default function: %w", err)
	}
	return name, nil
}

func mustGetPolicy(tx *bolt.Tx, name string) (policy.Policy, error) {
	p, found, err := getJSON[policy.Policy](tx, bucketPolicies, name)
	if err == nil && !found {
		err = store.NotFound("policy", name)
	}
	return p, err
}
