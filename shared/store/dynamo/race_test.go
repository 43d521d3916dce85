package dynamo

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/store"
)

// interleave runs another writer's change just before the store's next
// write of one kind: a race, made deterministic.
type interleave struct {
	API
	op     string // "UpdateItem" or "TransactWriteItems"
	before func(calls int)
	calls  int
}

func (i *interleave) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	i.hook("UpdateItem")
	return i.API.UpdateItem(ctx, in, opts...)
}

func (i *interleave) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	i.hook("TransactWriteItems")
	return i.API.TransactWriteItems(ctx, in, opts...)
}

func (i *interleave) hook(op string) {
	if op == i.op {
		i.calls++
		i.before(i.calls)
	}
}

// raceSetup stores function resize with policies fast, cheap and slow, and
// returns a store whose writes of kind op are preceded by before, and a
// plain store on the same tables for the other writer.
func raceSetup(t *testing.T, op string, before func(other *Store, calls int)) (*Store, *Store, *interleave) {
	t.Helper()
	other, client := openStore(t)
	ctx := t.Context()
	f := catalog.Function{Name: "resize", Deployments: []catalog.Deployment{{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "us-east-1", Target: "resize"}}, UpdatedAt: time.Now()}
	if _, _, err := other.PutFunction(ctx, f, store.AnyVersion); err != nil {
		t.Fatalf("PutFunction: %v", err)
	}
	for _, name := range []string{"fast", "cheap", "slow"} {
		p := policy.Policy{Name: name, Function: "resize", Strategy: policy.Static, DefaultProvider: catalog.AWS, UpdatedAt: time.Now()}
		if _, _, err := other.PutPolicy(ctx, p, store.AnyVersion); err != nil {
			t.Fatalf("PutPolicy(%q): %v", name, err)
		}
	}
	hooked := &interleave{API: client, op: op}
	hooked.before = func(calls int) { before(other, calls) }
	return New(hooked, other.tables), other, hooked
}

func mustActivate(t *testing.T, s *Store, name string) {
	t.Helper()
	if _, err := s.ActivatePolicy(context.Background(), name, time.Now()); err != nil {
		t.Fatalf("other writer: ActivatePolicy(%q): %v", name, err)
	}
}

func checkActivation(t *testing.T, s *Store, active string, inactive ...string) {
	t.Helper()
	f, err := s.GetFunction(t.Context(), "resize")
	if err != nil || f.ActivePolicy != active {
		t.Errorf("function ActivePolicy: got %q (%v), want %q", f.ActivePolicy, err, active)
	}
	names := inactive
	if active != "" {
		names = append(names, active)
	}
	for _, name := range names {
		p, err := s.GetPolicy(t.Context(), name)
		if want := name == active; err != nil || p.IsActive != want {
			t.Errorf("policy %q IsActive: got %t (%v), want %t", name, p.IsActive, err, want)
		}
	}
}

func TestActivationRetriesAfterLosingARace(t *testing.T) {
	s, other, hooked := raceSetup(t, "TransactWriteItems", func(other *Store, calls int) {
		if calls == 1 {
			mustActivate(t, other, "cheap") // between our read and our write
		}
	})
	if _, err := s.ActivatePolicy(t.Context(), "fast", time.Now()); err != nil {
		t.Fatalf("ActivatePolicy: %v", err)
	}
	if hooked.calls != 2 {
		t.Errorf("transactions sent: got %d, want 2 (one lost, one retried)", hooked.calls)
	}
	checkActivation(t, other, "fast", "cheap", "slow")
}

func TestActivationGivesUpWithAConflict(t *testing.T) {
	s, other, hooked := raceSetup(t, "TransactWriteItems", func(other *Store, calls int) {
		mustActivate(t, other, []string{"cheap", "slow"}[calls%2]) // always a step ahead
	})
	_, err := s.ActivatePolicy(t.Context(), "fast", time.Now())
	if !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("ActivatePolicy: got %v, want %v", err, fault.ErrConflict)
	}
	if hooked.calls != activationAttempts {
		t.Errorf("transactions sent: got %d, want %d", hooked.calls, activationAttempts)
	}
	checkActivation(t, other, []string{"cheap", "slow"}[activationAttempts%2], "fast")
}

func TestActivationOfAPolicyDeletedMeanwhile(t *testing.T) {
	s, other, _ := raceSetup(t, "TransactWriteItems", func(other *Store, calls int) {
		if err := other.DeletePolicy(context.Background(), "fast", store.AnyVersion); err != nil {
			t.Fatalf("other writer: DeletePolicy: %v", err)
		}
	})
	_, err := s.ActivatePolicy(t.Context(), "fast", time.Now())
	if !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("ActivatePolicy: got %v, want %v", err, fault.ErrNotFound)
	}
	checkActivation(t, other, "", "cheap", "slow")
}

func TestPutFunctionKeepsARacingActivation(t *testing.T) {
	s, other, _ := raceSetup(t, "UpdateItem", func(other *Store, calls int) {
		mustActivate(t, other, "fast")
	})
	f := catalog.Function{Name: "resize", Description: "new", Deployments: []catalog.Deployment{{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "us-east-1", Target: "resize"}}, UpdatedAt: time.Now()}
	got, _, err := s.PutFunction(t.Context(), f, store.AnyVersion)
	if err != nil {
		t.Fatalf("PutFunction: %v", err)
	}
	if got.ActivePolicy != "fast" || got.Description != "new" {
		t.Errorf("PutFunction result: got active policy %q description %q, want fast, new", got.ActivePolicy, got.Description)
	}
	checkActivation(t, other, "fast", "cheap", "slow")
}

func TestPutPolicyCannotMoveAPolicyActivatedMeanwhile(t *testing.T) {
	s, other, _ := raceSetup(t, "UpdateItem", func(other *Store, calls int) {
		mustActivate(t, other, "fast")
	})
	p := policy.Policy{Name: "fast", Function: "ocr", Strategy: policy.Static, DefaultProvider: catalog.AWS, UpdatedAt: time.Now()}
	_, _, err := s.PutPolicy(t.Context(), p, store.AnyVersion)
	if !errors.Is(err, fault.ErrConflict) || !containsAll(err.Error(), "active", `"resize"`, `"ocr"`) {
		t.Fatalf("PutPolicy: got %v, want a conflict naming both functions", err)
	}
	checkActivation(t, other, "fast", "cheap", "slow")
}

func TestLostRace(t *testing.T) {
	gone := fault.NotFound("policy %q does not exist", "fast")
	reason := func(code string, item bool) types.CancellationReason {
		r := types.CancellationReason{Code: aws.String(code)}
		if item {
			r.Item = map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "POLICY"}}
		}
		return r
	}
	canceled := func(rs ...types.CancellationReason) error {
		return &types.TransactionCanceledException{CancellationReasons: rs}
	}
	other := errors.New("connection reset")
	tests := []struct {
		name      string
		err       error
		wantRetry bool
		want      error
	}{
		{name: "condition failed on a changed item", err: canceled(reason("None", false), reason("ConditionalCheckFailed", true)), wantRetry: true},
		{name: "condition failed on a gone item", err: canceled(reason("ConditionalCheckFailed", false), reason("None", false)), want: gone},
		{name: "gone item without a planned error", err: canceled(reason("None", false), reason("ConditionalCheckFailed", false)), wantRetry: true},
		{name: "transaction conflict", err: canceled(reason("TransactionConflict", false), reason("None", false)), wantRetry: true},
		{name: "conflict exception", err: &types.TransactionConflictException{}, wantRetry: true},
		{name: "validation error", err: canceled(reason("ValidationError", false)), want: &types.TransactionCanceledException{}},
		{name: "other error", err: other, want: other},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			retry, err := lostRace(tc.err, []error{gone, nil})
			if retry != tc.wantRetry {
				t.Errorf("retry: got %t, want %t", retry, tc.wantRetry)
			}
			switch want := tc.want.(type) {
			case nil:
				if err != nil {
					t.Errorf("error: got %v, want none", err)
				}
			case *types.TransactionCanceledException:
				if !errors.As(err, &want) {
					t.Errorf("error: got %v, want the cancellation itself", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Errorf("error: got %v, want %v", err, want)
				}
			}
		})
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
