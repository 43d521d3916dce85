package dynamo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/store"
)

// The aggregates table holds two kinds of counter items (see aggregatesTable
// in schema.go for the daily ones):
//
//	daily   pk "<dim>#<YYYY-MM>#<shard>"   sk value         c<DD> n<DD> e<DD> u<DD> b<DD> bn<DD>
//	hourly  pk "<dim>#H#<value>#<shard>"   sk "YYYY-MM-DD"  c<HH> n<HH>
//
// Daily items hold every dimension (store.Dimensions); b, bn and bs (baseline
// pico-dollars, calls and pico-dollars saved) appear only on days with a baseline. A month's
// item holds at most 31*6 numbers of at most 10 bytes each under 3- and
// 4-byte names: under 2 KB, so an ADD costs at most 2 write units. Hourly
// items hold store.HourlyDimensions only (function, team and the all-calls
// total): one item per value, shard and UTC day with at most 48 numbers,
// about 0.6 KB with its keys, so each ADD is one write unit. The value is in
// the hourly partition key, so one value's hours over any range are one
// Query per shard, and a hot value's writes spread over aggregateShards
// partitions of its own. Values may hold '#', but the shard is always the
// last part and the dimension the first, so no two keys collide.
//
// PutInvocation writes, after the record, one UpdateItem (ADD) per daily
// delta and per hourly delta, all sent together: function, team, day, key,
// one provider and one region per provider (region) billed or answering,
// one per tag (up to invocation.MaxTags), and three hourly ones. A call
// answered by its first attempt and without tags is 9 UpdateItems (a
// failover across clouds 11; each tag one more).

// aggregatePK is the partition of one shard of a dimension's month: the
// shard is in the partition key so that a hot value's writes (every call
// adds to the day's total) spread over aggregateShards partitions.
func aggregatePK(dim store.Dimension, month string, shard int) string {
	return string(dim) + "#" + month + "#" + strconv.Itoa(shard)
}

// aggregateKey is the counters item of a dimension value in a month.
func aggregateKey(dim store.Dimension, month time.Time, value string, shard int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: aggregatePK(dim, month.Format("2006-01"), shard)},
		attrSK: &types.AttributeValueMemberS{Value: value},
	}
}

// hourlyPK is the partition of one shard of a value's hourly counters.
func hourlyPK(dim store.Dimension, value string, shard int) string {
	return string(dim) + "#H#" + value + "#" + strconv.Itoa(shard)
}

// counter names of one day of the month (c07, n07, e07, u07, b07, bn07) or
// of one hour of the day (c00 ... n23).
func counter(kind string, day int) string { return fmt.Sprintf("%s%02d", kind, day) }

// addCosts adds a record to its aggregates: one atomic ADD per daily and
// per hourly counter item, sent concurrently, on a shard chosen by the
// record's ID.
func (s *Store) addCosts(ctx context.Context, r invocation.Record) error {
	h := fnv.New32a()
	h.Write([]byte(r.ID))
	shard := int(h.Sum32() % aggregateShards)
	day := store.Day(r.Timestamp)
	g, gctx := errgroup.WithContext(ctx)
	add := func(d store.CostDelta, key map[string]types.AttributeValue, upd expression.UpdateBuilder) error {
		expr, err := expression.NewBuilder().WithUpdate(upd).Build()
		if err != nil {
			return fmt.Errorf("build cost update: %w", err)
		}
		g.Go(func() error {
			_, err := s.db.UpdateItem(gctx, &dynamodb.UpdateItemInput{
				TableName:                 aws.String(s.tables.Aggregates),
				Key:                       key,
				UpdateExpression:          expr.Update(),
				ExpressionAttributeNames:  expr.Names(),
				ExpressionAttributeValues: expr.Values(),
			})
			if err != nil {
				return fmt.Errorf("add to %s aggregate %q: %w", d.Dimension, d.Value, err)
			}
			return nil
		})
		return nil
	}
	for _, d := range store.CostDeltas(r) {
		upd := expression.Add(attr(counter("c", day.Day())), value(d.PicoUSD)).
			Add(attr(counter("n", day.Day())), value(d.Invocations)).
			Add(attr(counter("e", day.Day())), value(d.Errors)).
			Add(attr(counter("u", day.Day())), value(d.Unpriced))
		if d.BaselineCalls != 0 || d.BaselinePicoUSD != 0 {
			upd = upd.Add(attr(counter("b", day.Day())), value(d.BaselinePicoUSD)).
				Add(attr(counter("bn", day.Day())), value(d.BaselineCalls)).
				Add(attr(counter("bs", day.Day())), value(d.SavedPicoUSD))
		}
		if err := add(d, aggregateKey(d.Dimension, day, d.Value, shard), upd); err != nil {
			return errors.Join(err, g.Wait())
		}
	}
	hour := store.Hour(r.Timestamp).Hour()
	for _, d := range store.HourlyDeltas(r) {
		upd := expression.Add(attr(counter("c", hour)), value(d.PicoUSD)).
			Add(attr(counter("n", hour)), value(d.Invocations))
		key := map[string]types.AttributeValue{
			attrPK: &types.AttributeValueMemberS{Value: hourlyPK(d.Dimension, d.Value, shard)},
			attrSK: &types.AttributeValueMemberS{Value: day.Format(time.DateOnly)},
		}
		if err := add(d, key, upd); err != nil {
			return errors.Join(err, g.Wait())
		}
	}
	return g.Wait()
}

// CostTotals implements store.Costs: one Query per month of the range.
func (s *Store) CostTotals(ctx context.Context, q store.CostQuery) ([]store.CostRow, error) {
	days, err := q.Days()
	if err != nil {
		return nil, fmt.Errorf("cost totals: %w", err)
	}
	byMonth := map[string][]time.Time{}
	var months []string
	for _, d := range days {
		m := d.Format("2006-01")
		if _, ok := byMonth[m]; !ok {
			months = append(months, m)
		}
		byMonth[m] = append(byMonth[m], d)
	}
	var totals store.Totals
	for _, m := range months {
		// One Query per shard, concurrently.
		shards := make([][]map[string]types.AttributeValue, aggregateShards)
		g, gctx := errgroup.WithContext(ctx)
		for n := range aggregateShards {
			g.Go(func() error {
				var err error
				shards[n], err = s.queryAll(gctx, s.tables.Aggregates, aggregatePK(q.GroupBy, m, n), false)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, fmt.Errorf("cost totals for %s: %w", m, err)
		}
		for _, items := range shards {
			for _, item := range items {
				sk, ok := item[attrSK].(*types.AttributeValueMemberS)
				if !ok {
					return nil, fmt.Errorf("cost totals for %s: an aggregate without a string sk", m)
				}
				for _, d := range byMonth[m] {
					delta, err := dayCounts(item, d.Day())
					if err != nil {
						return nil, fmt.Errorf("cost totals for %s: %s: %w", m, sk.Value, err)
					}
					if delta == (store.CostDelta{}) {
						continue
					}
					group := sk.Value
					if q.GroupBy == store.ByDay {
						group = d.Format(time.DateOnly)
					}
					totals.Add(group, delta)
				}
			}
		}
	}
	return totals.Rows(), nil
}

// dayCounts reads one day's counters of an aggregate item; absent is 0.
func dayCounts(item map[string]types.AttributeValue, day int) (store.CostDelta, error) {
	var d store.CostDelta
	for _, f := range []struct {
		kind string
		dst  *int64
	}{
		{"c", &d.PicoUSD}, {"n", &d.Invocations}, {"e", &d.Errors}, {"u", &d.Unpriced},
		{"b", &d.BaselinePicoUSD}, {"bn", &d.BaselineCalls}, {"bs", &d.SavedPicoUSD},
	} {
		x, err := counterValue(item, counter(f.kind, day))
		if err != nil {
			return d, err
		}
		*f.dst = x
	}
	return d, nil
}

// counterValue reads one counter of an item; absent is 0.
func counterValue(item map[string]types.AttributeValue, name string) (int64, error) {
	v, ok := item[name]
	if !ok {
		return 0, nil
	}
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("counter %s is not a number", name)
	}
	x, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("counter %s: %w", name, err)
	}
	return x, nil
}

// HourlyCosts implements store.Costs: one Query per shard of the value's
// hourly partition, for the days of the range, sent together.
func (s *Store) HourlyCosts(ctx context.Context, dim store.Dimension, value string, from, to time.Time) ([]store.HourlyCost, error) {
	first, end, err := store.HourlyRange(dim, value, from, to)
	if err != nil {
		return nil, fmt.Errorf("hourly costs of %s %q: %w", dim, value, err)
	}
	lastDay := store.Day(end.Add(-time.Hour)).Format(time.DateOnly)
	shards := make([][]map[string]types.AttributeValue, aggregateShards)
	g, gctx := errgroup.WithContext(ctx)
	for n := range aggregateShards {
		g.Go(func() error {
			var err error
			shards[n], err = s.queryDays(gctx, hourlyPK(dim, value, n), store.Day(first).Format(time.DateOnly), lastDay)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("hourly costs of %s %q: %w", dim, value, err)
	}
	var hours store.Hours
	for _, items := range shards {
		for _, item := range items {
			sk, ok := item[attrSK].(*types.AttributeValueMemberS)
			if !ok {
				return nil, fmt.Errorf("hourly costs of %s %q: an item without a string sk", dim, value)
			}
			day, err := time.Parse(time.DateOnly, sk.Value)
			if err != nil {
				return nil, fmt.Errorf("hourly costs of %s %q: sk %q is not a day", dim, value, sk.Value)
			}
			for h := range 24 {
				hour := day.Add(time.Duration(h) * time.Hour)
				if hour.Before(first) || !hour.Before(end) {
					continue
				}
				pico, err := counterValue(item, counter("c", h))
				if err != nil {
					return nil, fmt.Errorf("hourly costs of %s %q on %s: %w", dim, value, sk.Value, err)
				}
				calls, err := counterValue(item, counter("n", h))
				if err != nil {
					return nil, fmt.Errorf("hourly costs of %s %q on %s: %w", dim, value, sk.Value, err)
				}
				hours.Add(hour, pico, calls)
			}
		}
	}
	return hours.Rows(), nil
}

// queryDays reads the items of partition pk with sk BETWEEN first AND last.
func (s *Store) queryDays(ctx context.Context, pk, first, last string) ([]map[string]types.AttributeValue, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(attrPK).Equal(value(pk)).And(expression.Key(attrSK).Between(value(first), value(last))),
	).Build()
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Aggregates),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}
	var out []map[string]types.AttributeValue
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}
