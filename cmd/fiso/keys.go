package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/store"
)

// runKeys manages API keys directly in the configured store (FISO_STORE),
// which is how the first admin key of a deployment is made.
func runKeys(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("keys", flag.ContinueOnError)
	name := fs.String("name", "", "a name for the key (who or what uses it)")
	role := fs.String("role", "invoker", "admin or invoker")
	team := fs.String("team", "", "team tag written on the key's invocations")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError{"usage: fiso keys create|list|revoke"}
	}
	st, err := openConfiguredStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()

	switch {
	case pos[0] == "create" && len(pos) == 1:
		if *name == "" {
			return usageError{"fiso keys create needs --name"}
		}
		plaintext, k, err := apikey.Generate(rand.Reader, *name, apikey.Role(*role), *team, time.Now())
		if err != nil {
			return err
		}
		if err := st.PutKey(ctx, k); err != nil {
			return fmt.Errorf("store key: %w", err)
		}
		fmt.Fprintf(os.Stderr, "created %s key %s (%s); it is shown once:\n", k.Role, k.ID, k.Name)
		fmt.Fprintln(stdout, plaintext)
		return nil
	case pos[0] == "list" && len(pos) == 1:
		keys, err := st.ListKeys(ctx)
		if err != nil {
			return fmt.Errorf("list keys: %w", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tTEAM\tCREATED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, k.Team, k.CreatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	case pos[0] == "revoke" && len(pos) == 2:
		if err := st.DeleteKey(ctx, pos[1]); err != nil {
			return fmt.Errorf("revoke key %s: %w", pos[1], err)
		}
		fmt.Fprintf(stdout, "revoked key %s\n", pos[1])
		return nil
	}
	return usageError{"usage: fiso keys create --name N [--role admin|invoker] [--team T] | list | revoke ID"}
}

// openConfiguredStore opens the store FISO_STORE names, with the same
// settings the control plane uses.
func openConfiguredStore(ctx context.Context) (store.Store, error) {
	_, st, err := openConfigured(ctx)
	return st, err
}

// openConfigured reads the configuration and opens the store it names.
func openConfigured(ctx context.Context) (controlplane.Config, store.Store, error) {
	cfg, err := controlplane.FromEnv(os.Getenv, controlplane.Defaults())
	if err != nil {
		return controlplane.Config{}, nil, err
	}
	st, err := controlplane.Open(ctx, cfg, controlplane.Options{})
	if err != nil && cfg.Store == controlplane.StoreEmbedded {
		return controlplane.Config{}, nil, fmt.Errorf("%w (while fiso dev runs, use its API instead: POST /v1/keys for keys)", err)
	}
	return cfg, st, err
}
