package dynamo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/store"
)

// Budgets and alerts.
//
// Definitions are config items, versioned like functions:
//
//	config      pk "BUDGET"                sk "<scope>#<id>"                 budget.Budget attributes
//
// Counters, reservations and alerts are in the aggregates table (their pk
// start with an upper-case word, the cost counters' with a lower-case
// dimension):
//
//	aggregates  pk "BUDGET#<scope>#<id>"   sk period ("2026-11", "2026-11-26")   spent, committed (N, pico-dollars)
//	aggregates  pk "RESV#<n>"              sk "<TimeKey(ExpiresAt)>#<id>"         budget.Reservation attributes
//	aggregates  pk "ALERT"                 sk "<TimeKey(At)>#<id>"                budget.Alert attributes
//	aggregates  pk "ALERTID"               sk id                                  guard: the alert is recorded, by (token)
//
// n is FNV-1a(reservation ID) mod 8: a sweep queries the eight partitions
// for sk < TimeKey(now). No item has a ttl: DynamoDB's TTL would delete a
// reservation without releasing it.
//
// A counter is one item per budget and period, so that one conditional
// UpdateItem checks and adds atomically: every reservation of a budget in
// a period writes the same item, which bounds one budget to DynamoDB's
// per-item write rate (about a thousand writes a second: a reservation and
// a settlement are two).
//
// # Reserve, Settle, Sweep
//
// Reserve writes the reservation record first (so that a crash after it
// leaves something for the sweeper), then, charge by charge in order
// (narrowest first), one UpdateItem ADD committed :amount on condition
// attribute_not_exists(committed) OR committed <= :max, :max = limit -
// amount (condition expressions cannot add two attributes, and an amount
// above the limit is refused without a write). When a charge is refused
// (or fails) the charges before it are released (ADD committed -amount)
// and the record deleted: all or none. Charges are written one after the
// other rather than in a transaction: transactions on an item that every
// call writes fail with TransactionConflict under load, while plain
// conditional writes to one item are serialized by DynamoDB.
//
// Settle takes the record (UpdateItem SET taker = :token on condition it
// exists and no other settlement or sweep took it, so that it happens once:
// after a settlement or a sweep, Settle changes nothing), then adds to each
// charge's counter (ADD spent :actual, committed :actual-amount), reading
// spent back (UPDATED_NEW) to tell which thresholds it crossed, then
// deletes the record. Sweep takes each expired record the same way,
// releases its amount and deletes it. Taking by token rather than deleting
// at once costs a write, and buys a take that can be retried: a take whose
// answer was lost (a timeout, a dropped connection, which a store saturated
// by a burst of calls gives) is retried with the same token and finds the
// record its own, where a retried delete would find the record gone and
// leave its amount committed for the rest of the period.
//
// Crash windows (a process that dies between two writes of one
// operation; DynamoDB itself loses nothing), each a few milliseconds long,
// against the whole call for the crash the record is there for:
//   - in Reserve, after the record and before its last charge: the
//     sweeper releases every charge of the record, the ones never added
//     too, so those budgets undercount by one call's amount for the
//     period;
//   - in an undo, a Settle or a sweep, after the record's take and
//     before the counters: the amount stays committed for the rest of the
//     period (an overcount, which errs toward refusing), and a
//     settlement's spend is not counted.
//
// Counter updates whose answer is lost (a timeout the SDK retries) can
// likewise apply twice or seem not to apply; the code takes the reading
// that errs toward refusing.

// budgetSK is a definition's sort key, and the counters' partition.
func budgetSK(r budget.Ref) string { return string(r.Scope) + "#" + r.ID }

func counterKey(c budget.Charge) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: kindBudgetCounter + budgetSK(c.Budget)},
		attrSK: &types.AttributeValueMemberS{Value: c.Period},
	}
}

func reservationPK(shard int) string { return kindReservation + strconv.Itoa(shard) }

func reservationKey(r budget.Reservation) map[string]types.AttributeValue {
	h := fnv.New32a()
	h.Write([]byte(r.ID))
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: reservationPK(int(h.Sum32() % reservationShards))},
		attrSK: &types.AttributeValueMemberS{Value: store.TimeKey(r.ExpiresAt) + "#" + r.ID},
	}
}

// counterItem is a budget period's counter; absent attributes are 0.
type counterItem struct {
	Spent     int64 `json:"spent"`
	Committed int64 `json:"committed"`
}

// PutBudget implements store.Budgets with one UpdateItem, like
// PutFunction.
func (s *Store) PutBudget(ctx context.Context, b budget.Budget, expect int64) (budget.Budget, bool, error) {
	if err := store.CheckBudgetRef(b.Ref()); err != nil {
		return budget.Budget{}, false, fmt.Errorf("put budget: %w", err)
	}
	upd, err := setDefinition(definitionUpdate(b.UpdatedAt), b, "version", "created_at", "updated_at")
	if err != nil {
		return budget.Budget{}, false, fmt.Errorf("put budget %s: %w", b.Ref(), err)
	}
	eb := expression.NewBuilder().WithUpdate(upd)
	if expect != store.AnyVersion {
		eb = eb.WithCondition(attr("version").Equal(value(expect)))
	}
	expr, err := eb.Build()
	if err != nil {
		return budget.Budget{}, false, fmt.Errorf("put budget %s: build update: %w", b.Ref(), err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.tables.Config),
		Key:                                 configKey(kindBudget, budgetSK(b.Ref())),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if old, failed := conditionFailed(err); failed {
		err = versionConflict("budget", b.Ref().String(), old, expect)
	}
	if err != nil {
		return budget.Budget{}, false, fmt.Errorf("put budget %s: %w", b.Ref(), err)
	}
	got, err := unmarshalMap[budget.Budget](out.Attributes)
	if err != nil {
		return budget.Budget{}, false, fmt.Errorf("put budget %s: decode result: %w", b.Ref(), err)
	}
	return got, got.Version == 1, nil
}

// GetBudget implements store.Budgets.
func (s *Store) GetBudget(ctx context.Context, ref budget.Ref) (budget.Budget, error) {
	b, found, err := getConfig[budget.Budget](ctx, s, kindBudget, budgetSK(ref))
	if err == nil && !found {
		err = store.NotFound("budget", ref.String())
	}
	if err != nil {
		return budget.Budget{}, fmt.Errorf("get budget %s: %w", ref, err)
	}
	return b, nil
}

// ListBudgets implements store.Budgets: one Query; sk "<scope>#<id>" sorts
// by scope, then ID (no scope is a prefix of another, and '#' sorts before
// every character an ID may hold).
func (s *Store) ListBudgets(ctx context.Context) ([]budget.Budget, error) {
	bs, err := listConfig[budget.Budget](ctx, s, kindBudget)
	if err != nil {
		return nil, fmt.Errorf("list budgets: %w", err)
	}
	return bs, nil
}

// DeleteBudget implements store.Budgets.
func (s *Store) DeleteBudget(ctx context.Context, ref budget.Ref, expect int64) error {
	cond := exists()
	if expect != store.AnyVersion {
		cond = cond.And(attr("version").Equal(value(expect)))
	}
	err := s.deleteConfig(ctx, "budget", kindBudget, budgetSK(ref), cond, func(old map[string]types.AttributeValue) error {
		if len(old) == 0 {
			return store.NotFound("budget", ref.String())
		}
		return versionConflict("budget", ref.String(), old, expect)
	})
	if err != nil {
		return fmt.Errorf("delete budget %s: %w", ref, err)
	}
	return nil
}

// Reserve implements store.Budgets (see the comment at the top of the
// file).
func (s *Store) Reserve(ctx context.Context, r budget.Reservation) error {
	if err := store.CheckReservation(r); err != nil {
		return fmt.Errorf("reserve: %w", err)
	}
	if len(r.Charges) == 0 {
		return nil
	}
	if err := s.putReservation(ctx, r); err != nil {
		return fmt.Errorf("reserve for %s: %w", r.ID, err)
	}
	for i, c := range r.Charges {
		err := s.charge(ctx, c, r.AmountPico)
		if err == nil {
			continue
		}
		// Refused or failed: take back what was added. A charge whose
		// write failed counts as not added (a timeout may hide that it
		// was: that errs toward refusing, never toward overspending).
		if uerr := s.undoReserve(ctx, r, r.Charges[:i]); uerr != nil {
			return fmt.Errorf("reserve for %s: %w; and undoing it: %w", r.ID, err, uerr)
		}
		return fmt.Errorf("reserve for %s: %w", r.ID, err)
	}
	return nil
}

// putReservation writes r's record, which must be new.
func (s *Store) putReservation(ctx context.Context, r budget.Reservation) error {
	item, err := marshalMap(r)
	if err != nil {
		return fmt.Errorf("encode reservation: %w", err)
	}
	for k, v := range reservationKey(r) {
		item[k] = v
	}
	expr, err := expression.NewBuilder().WithCondition(attr(attrPK).AttributeNotExists()).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.tables.Aggregates),
		Item:                      item,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if _, failed := conditionFailed(err); failed {
		return fault.Conflict("reservation %q is already held", r.ID)
	}
	if err != nil {
		return fmt.Errorf("write the reservation record: %w", err)
	}
	return nil
}

// charge adds amount to c's committed spend, or refuses with a
// *budget.ExceededError when that would pass c's limit.
func (s *Store) charge(ctx context.Context, c budget.Charge, amount int64) error {
	if amount > c.LimitPico {
		// More than the whole limit: refused whatever was spent; read the
		// counter only to say how much that is.
		n, err := s.getCounter(ctx, c)
		if err != nil {
			return err
		}
		return store.Exceeded(c, amount, n.Spent, n.Committed)
	}
	cond := expression.Or(attr("committed").AttributeNotExists(), attr("committed").LessThanEqual(value(c.LimitPico-amount)))
	expr, err := expression.NewBuilder().WithUpdate(expression.Add(attr("committed"), value(amount))).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build reservation: %w", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.tables.Aggregates),
		Key:                                 counterKey(c),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if old, failed := conditionFailed(err); failed {
		n, derr := unmarshalMap[counterItem](old)
		if derr != nil {
			return fmt.Errorf("decode the counter of %s for %s: %w", c.Budget, c.Period, derr)
		}
		return store.Exceeded(c, amount, n.Spent, n.Committed)
	}
	if err != nil {
		return fmt.Errorf("reserve on %s for %s: %w", c.Budget, c.Period, err)
	}
	return nil
}

func (s *Store) getCounter(ctx context.Context, c budget.Charge) (counterItem, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.tables.Aggregates),
		Key:            counterKey(c),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return counterItem{}, fmt.Errorf("read the counter of %s for %s: %w", c.Budget, c.Period, err)
	}
	n, err := unmarshalMap[counterItem](out.Item)
	if err != nil {
		return counterItem{}, fmt.Errorf("decode the counter of %s for %s: %w", c.Budget, c.Period, err)
	}
	return n, nil
}

// undoReserve takes r's record back, then releases the charges of r that
// were added. A release that fails leaves its amount committed until the
// period ends (an overcount: it errs toward refusing); a record that
// cannot be deleted is left to the sweeper, which releases every charge
// (an undercount of the ones never added), and nothing is released here,
// so that nothing is released twice.
func (s *Store) undoReserve(ctx context.Context, r budget.Reservation, added []budget.Charge) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.tables.Aggregates), Key: reservationKey(r)})
	if err != nil {
		return fmt.Errorf("delete the reservation record (the sweeper releases it after %s): %w", r.ExpiresAt.Format(time.RFC3339), err)
	}
	if held := s.release(ctx, added, r.AmountPico); len(held) > 0 {
		return fmt.Errorf("release the reservation: %d of %d budgets were not updated and stay committed for this period", len(held), len(added))
	}
	return nil
}

// release subtracts amount from the committed spend of every charge, all
// at once, and returns the charges it could not release.
func (s *Store) release(ctx context.Context, charges []budget.Charge, amount int64) []budget.Charge {
	failed := make([]bool, len(charges))
	var g errgroup.Group
	for i, c := range charges {
		g.Go(func() error {
			_, err := s.add(ctx, c, 0, -amount)
			failed[i] = err != nil
			return nil
		})
	}
	_ = g.Wait()
	var held []budget.Charge
	for i, c := range charges {
		if failed[i] {
			held = append(held, c)
		}
	}
	return held
}

// add adds to a counter and returns it as it is after.
func (s *Store) add(ctx context.Context, c budget.Charge, spent, committed int64) (counterItem, error) {
	upd := expression.Add(attr("committed"), value(committed))
	if spent != 0 {
		upd = upd.Add(attr("spent"), value(spent))
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		return counterItem{}, fmt.Errorf("build counter update: %w", err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.tables.Aggregates),
		Key:                       counterKey(c),
		UpdateExpression:          expr.Update(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return counterItem{}, fmt.Errorf("update the counter of %s for %s: %w", c.Budget, c.Period, err)
	}
	n, err := unmarshalMap[counterItem](out.Attributes)
	if err != nil {
		return counterItem{}, fmt.Errorf("decode the counter of %s for %s: %w", c.Budget, c.Period, err)
	}
	return n, nil
}

// attrTaker names the settlement or sweep that took a reservation record.
const attrTaker = "taker"

// attrBy names the call that recorded an alert (on its guard item).
const attrBy = "by"

// takeReservation takes a reservation record for taker (a token of one
// settlement or sweep) and returns it; found is false when another
// settlement or sweep took it first, or it is gone. The take is a
// conditional write (SET taker on condition the record exists and has no
// taker but this one), so that retryUnknown may repeat it: a take applied
// without its answer arriving (and the SDK's own retry) finds the record
// its own, where a repeated delete would find it gone. The record itself
// is deleted by forget, after the counters.
func (s *Store) takeReservation(ctx context.Context, key map[string]types.AttributeValue, taker string) (budget.Reservation, bool, error) {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(attr(attrTaker), value(taker))).
		WithCondition(exists().And(expression.Or(attr(attrTaker).AttributeNotExists(), attr(attrTaker).Equal(value(taker))))).
		Build()
	if err != nil {
		return budget.Reservation{}, false, fmt.Errorf("build condition: %w", err)
	}
	var out *dynamodb.UpdateItemOutput
	err = retryUnknown(ctx, func(ctx context.Context) (err error) {
		out, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(s.tables.Aggregates),
			Key:                       key,
			UpdateExpression:          expr.Update(),
			ConditionExpression:       expr.Condition(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
			ReturnValues:              types.ReturnValueAllNew,
		})
		return err
	})
	if _, failed := conditionFailed(err); failed {
		return budget.Reservation{}, false, nil
	}
	if err != nil {
		return budget.Reservation{}, false, fmt.Errorf("take the reservation record: %w", err)
	}
	r, err := unmarshalMap[budget.Reservation](out.Attributes)
	if err != nil {
		return r, true, fmt.Errorf("decode the reservation record: %w", err)
	}
	return r, true, nil
}

// forget deletes a record its taker is done with. A failure leaves it, taken,
// to the sweeper, which deletes taken records once they expire without
// releasing anything: the record's amounts were already settled.
func (s *Store) forget(ctx context.Context, key map[string]types.AttributeValue, taker string) {
	expr, err := expression.NewBuilder().WithCondition(attr(attrTaker).Equal(value(taker))).Build()
	if err != nil {
		return
	}
	_, _ = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.tables.Aggregates),
		Key:                       key,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
}

// Settle implements store.Budgets (see the comment at the top of the
// file). Its counters are updated together; the crossings come in the
// order of the charges.
func (s *Store) Settle(ctx context.Context, r budget.Reservation, actualPico int64) ([]budget.Crossing, error) {
	if err := store.CheckReservation(r); err != nil {
		return nil, fmt.Errorf("settle: %w", err)
	}
	if err := store.CheckActual(actualPico); err != nil {
		return nil, fmt.Errorf("settle %s: %w", r.ID, err)
	}
	if len(r.Charges) == 0 {
		return nil, nil
	}
	key, taker := reservationKey(r), newToken("settle")
	held, found, err := s.takeReservation(ctx, key, taker)
	if err != nil {
		return nil, fmt.Errorf("settle %s: %w", r.ID, err)
	}
	if !found {
		return nil, nil
	}
	crossed := make([][]budget.Crossing, len(held.Charges))
	var g errgroup.Group
	for i, c := range held.Charges {
		g.Go(func() error {
			n, err := s.add(ctx, c, actualPico, actualPico-held.AmountPico)
			if err != nil {
				return err
			}
			crossed[i] = c.Crossed(n.Spent-actualPico, n.Spent)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		// The record is taken: a retry would change nothing. What was not
		// counted stays committed for the rest of the period.
		s.forget(ctx, key, taker)
		return nil, fmt.Errorf("settle %s (its reservation is taken; a budget it was charged to was not updated): %w", r.ID, err)
	}
	s.forget(ctx, key, taker)
	var out []budget.Crossing
	for _, cs := range crossed {
		out = append(out, cs...)
	}
	return out, nil
}

// SweepReservations implements store.Budgets: one Query per shard for the
// records that expired before now (their sk starts with the expiry), then
// each is taken (a conditional write, so that of two sweepers, or a sweeper
// and a late settlement, one does it), its amount released and the record
// deleted. A record some settlement or sweep took but could not delete is
// deleted without releasing anything.
func (s *Store) SweepReservations(ctx context.Context, now time.Time) (int, error) {
	var swept atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for n := range reservationShards {
		g.Go(func() error {
			items, err := s.expiredReservations(gctx, reservationPK(n), store.TimeKey(now))
			if err != nil {
				return err
			}
			for _, item := range items {
				key := map[string]types.AttributeValue{attrPK: item[attrPK], attrSK: item[attrSK]}
				if t, ok := item[attrTaker].(*types.AttributeValueMemberS); ok {
					s.forget(gctx, key, t.Value)
					continue
				}
				taker := newToken("sweep")
				r, found, err := s.takeReservation(gctx, key, taker)
				if err != nil {
					return err
				}
				if !found {
					continue
				}
				if held := s.release(gctx, r.Charges, r.AmountPico); len(held) > 0 {
					return fmt.Errorf("release reservation %s: %d of its %d budgets were not updated", r.ID, len(held), len(r.Charges))
				}
				s.forget(gctx, key, taker)
				swept.Add(1)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return int(swept.Load()), fmt.Errorf("sweep budget reservations: %w", err)
	}
	return int(swept.Load()), nil
}

// expiredReservations returns the keys and takers of one shard's records
// with sk below before.
func (s *Store) expiredReservations(ctx context.Context, pk, before string) ([]map[string]types.AttributeValue, error) {
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(attrPK).Equal(value(pk)).And(expression.Key(attrSK).LessThan(value(before)))).
		WithProjection(expression.NamesList(attr(attrPK), attr(attrSK), attr(attrTaker))).
		Build()
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Aggregates),
		KeyConditionExpression:    expr.KeyCondition(),
		ProjectionExpression:      expr.Projection(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}
	var keys []map[string]types.AttributeValue
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list expired reservations: %w", err)
		}
		keys = append(keys, page.Items...)
		if len(page.LastEvaluatedKey) == 0 {
			return keys, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// BudgetUsage implements store.Budgets: one strongly consistent GetItem per
// budget, a few at a time.
func (s *Store) BudgetUsage(ctx context.Context, budgets []budget.Budget, at time.Time) ([]budget.Usage, error) {
	out := make([]budget.Usage, len(budgets))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, b := range budgets {
		g.Go(func() error {
			period, _, _ := budget.Window(b.Period, at)
			n, err := s.getCounter(gctx, budget.Charge{Budget: b.Ref(), Period: period})
			if err != nil {
				return err
			}
			out[i] = store.UsageOf(b, at, n.Spent, n.Committed)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("budget usage: %w", err)
	}
	return out, nil
}

// alertAttempts bounds how often PutAlert retries a transaction that
// conflicted with another one recording the same alert; each retry finds
// the alert recorded or records it.
const alertAttempts = 5

// PutAlert implements store.Alerts with one transaction: the guard item
// (on condition that it is new) and the alert under its time.
func (s *Store) PutAlert(ctx context.Context, a budget.Alert) (bool, error) {
	if err := store.CheckKeyPart("id", a.ID); err != nil {
		return false, fmt.Errorf("put alert: %w", err)
	}
	a.At = a.At.UTC()
	item, err := marshalMap(a)
	if err != nil {
		return false, fmt.Errorf("put alert %q: encode: %w", a.ID, err)
	}
	item[attrPK] = &types.AttributeValueMemberS{Value: kindAlert}
	item[attrSK] = &types.AttributeValueMemberS{Value: store.TimeKey(a.At) + "#" + a.ID}
	// The guard carries a token of this call, so that a repeat of a write
	// applied without its answer arriving finds its own guard and reports
	// the alert as first, where another call's guard means it was sent.
	token := newToken("alert")
	guard := configKey(kindAlertID, a.ID)
	guard[attrBy] = &types.AttributeValueMemberS{Value: token}
	expr, err := expression.NewBuilder().WithCondition(expression.Or(attr(attrPK).AttributeNotExists(), attr(attrBy).Equal(value(token)))).Build()
	if err != nil {
		return false, fmt.Errorf("put alert %q: build condition: %w", a.ID, err)
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{
			TableName:                 aws.String(s.tables.Aggregates),
			Item:                      guard,
			ConditionExpression:       expr.Condition(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
		}},
		{Put: &types.Put{TableName: aws.String(s.tables.Aggregates), Item: item}},
	}}
	for attempt := 1; ; attempt++ {
		err = retryUnknown(ctx, func(ctx context.Context) error {
			_, err := s.db.TransactWriteItems(ctx, in)
			return err
		})
		if err == nil {
			return true, nil
		}
		if failed, ok := canceledBy(err); ok && failed[0] {
			return false, nil
		}
		var conflict *types.TransactionConflictException
		if retry := isTransactionConflict(err) || errors.As(err, &conflict); !retry || attempt == alertAttempts {
			return false, fmt.Errorf("put alert %q: %w", a.ID, err)
		}
		if err := pause(ctx, time.Duration(attempt)*10*time.Millisecond); err != nil {
			return false, fmt.Errorf("put alert %q: %w", a.ID, err)
		}
	}
}

// isTransactionConflict reports a transaction canceled only because
// another one was writing the same items.
func isTransactionConflict(err error) bool {
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return false
	}
	conflict := false
	for _, r := range canceled.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "", "None":
		case "TransactionConflict":
			conflict = true
		default:
			return false
		}
	}
	return conflict
}

// ListAlerts implements store.Alerts: one Query backwards over the alerts'
// partition from the newest down to since.
func (s *Store) ListAlerts(ctx context.Context, since time.Time, limit int) ([]budget.Alert, error) {
	out, err := listFeed[budget.Alert](ctx, s, kindAlert, since, limit)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return out, nil
}

// listFeed reads a time-ordered partition of the aggregates table (sk
// begins with store.TimeKey) backwards, from the newest item down to
// since, at most limit items (limit <= 0: all).
func listFeed[T any](ctx context.Context, s *Store, pk string, since time.Time, limit int) ([]T, error) {
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(attrPK).Equal(value(pk)).And(expression.Key(attrSK).GreaterThanEqual(value(store.TimeKey(since))))).
		Build()
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Aggregates),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(false),
		ConsistentRead:            aws.Bool(true),
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(min(limit, 1000)))
	}
	var out []T
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, item := range page.Items {
			v, err := unmarshalMap[T](item)
			if err != nil {
				return nil, fmt.Errorf("decode: %w", err)
			}
			out = append(out, v)
		}
		if len(page.LastEvaluatedKey) == 0 || (limit > 0 && len(out) >= limit) {
			break
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
