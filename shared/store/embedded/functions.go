package embedded

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/store"
)

// GetFunction implements store.Functions.
func (s *Store) GetFunction(ctx context.Context, name string) (catalog.Function, error) {
	var f catalog.Function
	err := s.db.View(func(tx *bolt.Tx) error {
		var found bool
		var err error
		f, found, err = getJSON[catalog.Function](tx, bucketFunctions, name)
		if err == nil && !found {
			err = store.NotFound("function", name)
		}
		return err
	})
	if err != nil {
		return catalog.Function{}, fmt.Errorf("get function %q: %w", name, err)
	}
	return f, nil
}

// ListFunctions implements store.Functions; bbolt keeps keys in byte order.
func (s *Store) ListFunctions(ctx context.Context) ([]catalog.Function, error) {
	fs, err := list[catalog.Function](s.db, bucketFunctions)
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	return fs, nil
}

// PutFunction implements store.Functions.
func (s *Store) PutFunction(ctx context.Context, f catalog.Function, expect int64) (catalog.Function, bool, error) {
	if err := store.CheckKeyPart("name", f.Name); err != nil {
		return catalog.Function{}, false, fmt.Errorf("put function: %w", err)
	}
	var created bool
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, found, err := getJSON[catalog.Function](tx, bucketFunctions, f.Name)
		if err != nil {
			return err
		}
		if err := store.CheckVersion("function", f.Name, found, old.Version, expect); err != nil {
			return err
		}
		created = !found
		f.UpdatedAt = f.UpdatedAt.UTC()
		f.CreatedAt = f.UpdatedAt
		if found {
			f.CreatedAt = old.CreatedAt
		}
		f.ActivePolicy = old.ActivePolicy // only activation sets it
		f.Version = old.Version + 1
		return putJSON(tx, bucketFunctions, f.Name, f)
	})
	if err != nil {
		return catalog.Function{}, false, fmt.Errorf("put function %q: %w", f.Name, err)
	}
	return f, created, nil
}

// DeleteFunction implements store.Functions.
func (s *Store) DeleteFunction(ctx context.Context, name string, expect int64) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		f, found, err := getJSON[catalog.Function](tx, bucketFunctions, name)
		switch {
		case err != nil:
			return err
		case !found:
			return store.NotFound("function", name)
		case f.ActivePolicy != "":
			return fault.Conflict("function %q is routed by the active policy %q; deactivate the policy before deleting the function", name, f.ActivePolicy)
		}
		if err := store.CheckVersion("function", name, found, f.Version, expect); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketFunctions)).Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("delete function %q: %w", name, err)
	}
	return nil
}
