package dynamo

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/store"
)

// invocationItem is a record as stored: its own attributes under their json
// names, plus the keys and TTL the schema adds.
type invocationItem struct {
	invocation.Record
	SK       string `json:"sk"`
	DayShard string `json:"day_shard"`
	TTL      *int64 `json:"ttl,omitempty"`
}

// dayShard is the by-day partition of a record: its UTC day and one of
// dayShards buckets chosen by a hash of its ID.
func dayShard(r invocation.Record) string {
	h := fnv.New32a()
	h.Write([]byte(r.ID))
	return dayOf(r.Timestamp) + "#" + strconv.Itoa(int(h.Sum32()%dayShards))
}

func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// PutInvocation implements store.Invocations: a conditional PutItem of the
// record (a rewrite of an existing record is a plain PutItem and is not
// counted again), then one atomic ADD per cost aggregate, sent concurrently
// (store.CostDeltas: about five). Counters are plain UpdateItems rather than
// a transaction with the record because every call adds to the same few hot
// items, where transactions would conflict; so a DynamoDB failure that
// outlasts the SDK's retries can leave some counters short (the error says
// so and is logged with the invocation ID), and an ADD whose response was
// lost and retried by the SDK can count twice. The record itself always
// holds the exact cost. A record is keyed by function and time, so
// rewriting an ID replaces it only when those stay the same.
func (s *Store) PutInvocation(ctx context.Context, r invocation.Record) error {
	if err := store.CheckRecord(r); err != nil {
		return fmt.Errorf("put invocation %q: %w", r.ID, err)
	}
	it := invocationItem{Record: r, SK: invocation.PositionOf(r).SortKey(), DayShard: dayShard(r)}
	if !r.ExpiresAt.IsZero() {
		it.TTL = aws.Int64(r.ExpiresAt.Unix())
	}
	item, err := marshalMap(it)
	if err != nil {
		return fmt.Errorf("put invocation %q: encode: %w", r.ID, err)
	}
	if r.KeyID == "" {
		delete(item, attrKeyID) // an index key may be absent, never empty
	}
	// A new record is written on condition that it is new, then counted; a
	// rewrite replaces the record and is not counted again.
	cond, err := expression.NewBuilder().WithCondition(attr(attrSK).AttributeNotExists()).Build()
	if err != nil {
		return fmt.Errorf("put invocation %q: build condition: %w", r.ID, err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.tables.Invocations),
		Item:                     item,
		ConditionExpression:      cond.Condition(),
		ExpressionAttributeNames: cond.Names(),
	})
	if _, exists := conditionFailed(err); exists {
		if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.tables.Invocations), Item: item}); err != nil {
			return fmt.Errorf("put invocation %q: %w", r.ID, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("put invocation %q: %w", r.ID, err)
	}
	if err := s.addCosts(ctx, r); err != nil {
		return fmt.Errorf("put invocation %q: record written, cost aggregates not: %w", r.ID, err)
	}
	return nil
}

// GetInvocation implements store.Invocations: the by-id index gives the
// record's key, a consistent GetItem the record.
func (s *Store) GetInvocation(ctx context.Context, id string) (invocation.Record, error) {
	r, err := s.getInvocation(ctx, id)
	if err != nil {
		return invocation.Record{}, fmt.Errorf("get invocation %q: %w", id, err)
	}
	return r, nil
}

func (s *Store) getInvocation(ctx context.Context, id string) (invocation.Record, error) {
	if id == "" {
		return invocation.Record{}, store.NotFound("invocation", id)
	}
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(attrInvocationID).Equal(value(id))).
		Build()
	if err != nil {
		return invocation.Record{}, fmt.Errorf("build query: %w", err)
	}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Invocations),
		IndexName:                 aws.String(IndexByID),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if err != nil {
		return invocation.Record{}, err
	}
	now := s.now()
	for _, keys := range out.Items {
		got, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(s.tables.Invocations),
			Key:            map[string]types.AttributeValue{attrFunctionName: keys[attrFunctionName], attrSK: keys[attrSK]},
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return invocation.Record{}, err
		}
		if len(got.Item) == 0 {
			continue // deleted since the index saw it
		}
		r, err := unmarshalMap[invocation.Record](got.Item)
		if err != nil {
			return invocation.Record{}, fmt.Errorf("decode: %w", err)
		}
		if !store.Expired(r, now) {
			return r, nil
		}
	}
	return invocation.Record{}, store.NotFound("invocation", id)
}

// listed is a record with the sort key it was found under.
type listed struct {
	r  invocation.Record
	sk string
}

// window is the part of a listing every access path shares.
type window struct {
	lo, hi string    // sk BETWEEN lo AND hi
	drop   string    // the After item, which hi may include
	top    time.Time // the newest time hi admits: the first day to read
	want   int       // limit + 1, to know whether another page follows
	now    time.Time
}

// ListInvocations implements store.Invocations. One API key: a Query on
// by-key (filtered by function when one is asked for). One function: a
// Query on the table. Neither: the by-day shards of each day, newest day
// first.
func (s *Store) ListInvocations(ctx context.Context, q invocation.Query) (invocation.Page, error) {
	limit, err := store.PageSize(q)
	if err != nil {
		return invocation.Page{}, fmt.Errorf("list invocations: %w", err)
	}
	w := window{
		lo:   invocation.SortKeyTime(q.Since),
		hi:   invocation.SortKeyTime(q.Until),
		top:  q.Until.Add(-time.Nanosecond),
		want: limit + 1,
		now:  s.now(),
	}
	if q.After != nil {
		if after := q.After.SortKey(); after < w.hi {
			w.hi, w.drop, w.top = after, after, q.After.Time
		}
	}
	var found []listed
	if w.lo < w.hi {
		switch {
		case q.KeyID != "":
			// A key's calls are usually of few functions, so its index,
			// filtered by function, reads fewer items than the function's
			// partition filtered by key.
			found, err = s.query(ctx, w, IndexByKey, attrKeyID, q.KeyID, filterOn(attrFunctionName, q.Function))
		case q.Function != "":
			found, err = s.query(ctx, w, "", attrFunctionName, q.Function, nil)
		default:
			found, err = s.listByDay(ctx, w, q.Since)
		}
	}
	if err != nil {
		return invocation.Page{}, fmt.Errorf("list invocations: %w", err)
	}
	page := invocation.Page{Items: make([]invocation.Record, 0, min(len(found), limit))}
	for _, l := range found[:min(len(found), limit)] {
		page.Items = append(page.Items, l.r)
	}
	if len(found) > limit {
		next := invocation.PositionOf(page.Items[limit-1])
		page.Next = &next
	}
	return page, nil
}

// listByDay merges the by-day shards one day at a time, newest first: every
// record of a day sorts after every record of the day before, so it can stop
// at the first day that fills the page.
func (s *Store) listByDay(ctx context.Context, w window, since time.Time) ([]listed, error) {
	var out []listed
	first := dayOf(since)
	for day := w.top.UTC(); dayOf(day) >= first; day = day.AddDate(0, 0, -1) {
		shards := make([][]listed, dayShards)
		g, gctx := errgroup.WithContext(ctx)
		need := w
		need.want = w.want - len(out)
		for n := range dayShards {
			g.Go(func() error {
				var err error
				shards[n], err = s.query(gctx, need, IndexByDay, attrDayShard, dayOf(day)+"#"+strconv.Itoa(n), nil)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		merged := slices.Concat(shards...)
		slices.SortFunc(merged, func(a, b listed) int { return strings.Compare(b.sk, a.sk) })
		out = append(out, merged...)
		if len(out) >= w.want {
			return out[:w.want], nil
		}
	}
	return out, nil
}

// filterOn is an equality filter on attribute a, or nil when v is empty.
func filterOn(a, v string) *expression.ConditionBuilder {
	if v == "" {
		return nil
	}
	c := attr(a).Equal(value(v))
	return &c
}

// query reads one partition (of the table or an index) newest first until
// it has w.want live records or the partition's window is exhausted. extra,
// when set, filters the partition further.
func (s *Store) query(ctx context.Context, w window, index, hashAttr, hashValue string, extra *expression.ConditionBuilder) ([]listed, error) {
	keyCond := expression.Key(hashAttr).Equal(value(hashValue)).
		And(expression.Key(attrSK).Between(value(w.lo), value(w.hi)))
	// TTL deletes lazily: leave out what has surely expired (ttl is in
	// whole seconds; the exact check is expired below).
	filter := expression.Or(attr(attrTTL).AttributeNotExists(), attr(attrTTL).GreaterThanEqual(value(w.now.Unix())))
	if extra != nil {
		filter = expression.And(filter, *extra)
	}
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).WithFilter(filter).Build()
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Invocations),
		KeyConditionExpression:    expr.KeyCondition(),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(false),
	}
	if index == "" {
		in.ConsistentRead = aws.Bool(true)
	} else {
		in.IndexName = aws.String(index)
	}
	var out []listed
	for {
		// One more than needed, for the After item that BETWEEN includes.
		// DynamoDB applies Limit before the filter, so a filtered read asks
		// for more at a time rather than crawling in tiny pages.
		need := w.want - len(out) + 1
		if extra != nil {
			need = max(8*need, 100)
		}
		in.Limit = aws.Int32(int32(min(need, 1000)))
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, item := range page.Items {
			r, err := unmarshalMap[invocation.Record](item)
			if err != nil {
				return nil, fmt.Errorf("decode invocation: %w", err)
			}
			sk := invocation.PositionOf(r).SortKey()
			if sk == w.drop || store.Expired(r, w.now) {
				continue
			}
			if out = append(out, listed{r, sk}); len(out) == w.want {
				return out, nil
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}
