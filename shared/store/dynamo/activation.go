package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/store"
)

// activationAttempts bounds how often an activation that lost a race with
// another one on the same function reads again and retries. Each lost race
// means another activation won, so the function is never left half-switched;
// the loser reports a conflict the caller may retry.
const activationAttempts = 8

// ActivatePolicy implements store.Policies with one TransactWriteItems: the
// policy's is_active, the function's active_policy (on condition that it is
// still what was read), the previously active policy's is_active and the
// default-function setting. Activation is not a definition write: versions
// stay, updated_at becomes now on every item whose state changes.
func (s *Store) ActivatePolicy(ctx context.Context, name string, now time.Time) (policy.Policy, error) {
	now = now.UTC()
	p, err := s.transition(ctx, name, func(p policy.Policy, f *catalog.Function) (plan, error) {
		if f == nil {
			return plan{}, missingFunction(p)
		}
		var pl plan
		pl.update(s.tables.Config, kindPolicy, p.Name,
			expression.Set(attr("is_active"), value(true)).Set(attr("updated_at"), value(now)),
			expression.And(exists(), attr("function").Equal(value(f.Name))),
			store.NotFound("policy", p.Name))
		pl.update(s.tables.Config, kindFunction, f.Name,
			expression.Set(attr("active_policy"), value(p.Name)).Set(attr("updated_at"), value(now)),
			expression.And(exists(), routedBy(f.ActivePolicy)),
			missingFunction(p))
		if prev := f.ActivePolicy; prev != "" && prev != p.Name {
			pl.update(s.tables.Config, kindPolicy, prev,
				expression.Set(attr("is_active"), value(false)).Set(attr("updated_at"), value(now)),
				exists(), nil)
		}
		pl.put(s.tables.Config, kindSetting, settingDefaultFunction, map[string]any{"value": f.Name, "updated_at": now})
		p.IsActive, p.UpdatedAt = true, now
		pl.result = p
		return pl, pl.err
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
	p, err := s.transition(ctx, name, func(p policy.Policy, f *catalog.Function) (plan, error) {
		routes := f != nil && f.ActivePolicy == p.Name
		if !p.IsActive && !routes {
			return plan{result: p}, nil
		}
		var pl plan
		pl.update(s.tables.Config, kindPolicy, p.Name,
			expression.Set(attr("is_active"), value(false)).Set(attr("updated_at"), value(now)),
			expression.And(exists(), attr("function").Equal(value(p.Function))),
			store.NotFound("policy", p.Name))
		if routes {
			pl.update(s.tables.Config, kindFunction, f.Name,
				expression.Remove(attr("active_policy")).Set(attr("updated_at"), value(now)),
				routedBy(p.Name), nil)
		}
		p.IsActive, p.UpdatedAt = false, now
		pl.result = p
		return pl, pl.err
	})
	if err != nil {
		return policy.Policy{}, fmt.Errorf("deactivate policy %q: %w", name, err)
	}
	return p, nil
}

func missingFunction(p policy.Policy) error {
	return fault.Conflict("policy %q routes function %q, which does not exist; create the function before activating the policy", p.Name, p.Function)
}

// routedBy holds for a function whose active policy is name ("" for none).
func routedBy(name string) expression.ConditionBuilder {
	if name == "" {
		return unrouted()
	}
	return attr("active_policy").Equal(value(name))
}

// plan is one activation change: the transaction's items, for each item the
// error that means "this item is gone" (nil: read again and retry), and the
// policy to return once it is written.
type plan struct {
	items   []types.TransactWriteItem
	missing []error
	result  policy.Policy
	err     error
}

func (pl *plan) update(table, kind, sk string, upd expression.UpdateBuilder, cond expression.ConditionBuilder, missing error) {
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		pl.err = errors.Join(pl.err, fmt.Errorf("build update of %s %q: %w", kind, sk, err))
		return
	}
	pl.items = append(pl.items, types.TransactWriteItem{Update: &types.Update{
		TableName:                           aws.String(table),
		Key:                                 configKey(kind, sk),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}})
	pl.missing = append(pl.missing, missing)
}

func (pl *plan) put(table, kind, sk string, attrs map[string]any) {
	item, err := marshalMap(attrs)
	if err != nil {
		pl.err = errors.Join(pl.err, fmt.Errorf("encode %s %q: %w", kind, sk, err))
		return
	}
	for k, v := range configKey(kind, sk) {
		item[k] = v
	}
	pl.items = append(pl.items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: item}})
	pl.missing = append(pl.missing, nil)
}

// transition reads the policy and its function, plans the change from what
// it read, and writes the plan in one transaction. When a concurrent change
// made a condition fail it reads again and retries, a bounded number of
// times.
func (s *Store) transition(ctx context.Context, name string, planFor func(p policy.Policy, f *catalog.Function) (plan, error)) (policy.Policy, error) {
	for attempt := 1; ; attempt++ {
		p, found, err := getConfig[policy.Policy](ctx, s, kindPolicy, name)
		if err != nil {
			return policy.Policy{}, err
		}
		if !found {
			return policy.Policy{}, store.NotFound("policy", name)
		}
		f, found, err := getConfig[catalog.Function](ctx, s, kindFunction, p.Function)
		if err != nil {
			return policy.Policy{}, err
		}
		fn := &f
		if !found {
			fn = nil
		}
		pl, err := planFor(p, fn)
		if err != nil || len(pl.items) == 0 {
			return pl.result, err
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: pl.items})
		if err == nil {
			return pl.result, nil
		}
		retry, err := lostRace(err, pl.missing)
		if !retry {
			return policy.Policy{}, err
		}
		if attempt == activationAttempts {
			return policy.Policy{}, fault.Conflict("policy %q was not changed: other activations on function %q kept changing it over %d attempts; try again", name, p.Function, attempt)
		}
		if err := pause(ctx, time.Duration(attempt)*10*time.Millisecond); err != nil {
			return policy.Policy{}, err
		}
	}
}

// lostRace reads a failed transaction: an item that is gone ends the change
// with the error planned for it; conditions on changed items and
// transaction conflicts mean another writer got there first, worth a retry.
func lostRace(err error, missing []error) (retry bool, _ error) {
	var conflict *types.TransactionConflictException
	if errors.As(err, &conflict) {
		return true, nil
	}
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return false, err
	}
	retry = true
	for i, r := range canceled.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "", "None", "TransactionConflict":
		case "ConditionalCheckFailed":
			if len(r.Item) == 0 && i < len(missing) && missing[i] != nil {
				return false, missing[i]
			}
		default:
			retry = false
		}
	}
	if !retry {
		return false, err
	}
	return true, nil
}

func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
