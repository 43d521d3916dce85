// Package dynamo keeps FISO's state in DynamoDB, for the cloud deployment. It
// implements store.Store with the same behaviour as store/embedded: both pass
// store/storetest. Every read is a GetItem or a Query; the store never scans.
//
// # Schema
//
// schema.go is the single definition of both tables (CreateTables builds them
// from it; the deployment templates must mirror it). Both are PAY_PER_REQUEST.
//
// The config table holds everything an operator edits, keyed by pk (S, HASH)
// and sk (S, RANGE):
//
//	pk="FUNCTION" sk=name      catalog.Function attributes (json names)
//	pk="POLICY"   sk=name      policy.Policy attributes
//	pk="KEY"      sk=hash      id, hash, name, role, team, created_at
//	pk="SETTING"  sk="default_function"   value = function name
//	pk="SETTING"  sk="admin_keys"         n = number of admin keys
//
// Listing a kind is a Query on its pk. Versions are kept with
// version = if_not_exists(version, 0) + 1 in the same UpdateItem that writes
// a definition, so PutFunction and PutPolicy never overwrite active_policy or
// is_active, which only the activation transaction writes.
//
// The invocations table holds the invocation log, each record's attributes
// stored natively (maps and lists under the domain's json names), keyed by
// function_name (S, HASH) and sk (S, RANGE) = invocation.Position.SortKey():
// time first, so a Query that reads backwards lists newest first. Extra
// attributes: ttl (N, epoch seconds of ExpiresAt, absent when ExpiresAt is
// zero; DynamoDB TTL is enabled on it) and day_shard ("YYYY-MM-DD#n", UTC day
// of the timestamp, n = FNV-1a(invocation id) mod 8). Indexes:
//
//	by-id   invocation_id HASH           KEYS_ONLY   GetInvocation, then GetItem
//	by-key  key_id HASH, sk RANGE        ALL         listing one API key's calls
//	by-day  day_shard HASH, sk RANGE     ALL         listing all functions
//
// key_id is left out of records without an API key (an index key cannot be
// empty), so they stay out of by-key. by-day spreads one day's writes over
// eight partitions; listing all functions queries the eight shards of each day
// from the newest day down and merges them. Every listing bounds sk with
// BETWEEN SortKeyTime(Since) AND min(SortKeyTime(Until), After.SortKey()) and
// drops the After item itself, so one cursor (an invocation.Position) works on
// every access path. TTL deletes lazily, so expired records are also filtered
// out on read.
//
// The aggregates table holds the cost counters every PutInvocation adds to
// (see aggregatesTable in schema.go and PutInvocation for the write path):
// pk "<dimension>#<YYYY-MM>#<shard>", sk the dimension's value, per-day
// counter attributes. CostTotals reads a month of one dimension with one
// Query per shard.
package dynamo
