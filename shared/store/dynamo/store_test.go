package dynamo

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/fiso-dev/fiso/shared/store"
	"github.com/fiso-dev/fiso/shared/store/storetest"
	"github.com/fiso-dev/fiso/shared/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// recorder counts the operations a client sends, so tests can prove what
// the store never does (Scan).
type recorder struct {
	mu  sync.Mutex
	ops map[string]int
}

func (r *recorder) add(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("fiso-test-record-operation",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			r.mu.Lock()
			r.ops[awsmiddleware.GetOperationName(ctx)]++
			r.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

func (r *recorder) count(op string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ops[op]
}

// newClient returns a moto client that records its operations in rec.
func newClient(t *testing.T, rec *recorder) *dynamodb.Client {
	t.Helper()
	endpoint := testenv.Moto(t)
	return dynamodb.NewFromConfig(testenv.AWSConfig(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.APIOptions = append(o.APIOptions, rec.add)
	})
}

// newTables creates tables with fresh random names and deletes them after
// the test.
func newTables(t *testing.T, client *dynamodb.Client) Tables {
	t.Helper()
	suffix := strings.ToLower(rand.Text()[:12])
	tables := Tables{Config: "fiso-test-config-" + suffix, Invocations: "fiso-test-invocations-" + suffix, Aggregates: "fiso-test-aggregates-" + suffix}
	if err := CreateTables(t.Context(), client, tables); err != nil {
		t.Fatalf("CreateTables: %v", err)
	}
	t.Cleanup(func() {
		for _, name := range []string{tables.Config, tables.Invocations} {
			if _, err := client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
				t.Errorf("delete table %s: %v", name, err)
			}
		}
	})
	return tables
}

// openStore returns a store on fresh tables whose client fails the test if
// it ever sends a Scan.
func openStore(t *testing.T, opts ...Option) (*Store, *dynamodb.Client) {
	t.Helper()
	rec := &recorder{ops: map[string]int{}}
	client := newClient(t, rec)
	tables := newTables(t, client)
	t.Cleanup(func() {
		if n := rec.count("Scan"); n > 0 {
			t.Errorf("the store sent %d Scan requests, want none", n)
		}
	})
	s := New(client, tables, opts...)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, client
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := openStore(t, WithClock(storetest.Now))
		return s
	})
}

func TestRecorderSeesOperations(t *testing.T) {
	// The Scan check above is only as good as the recorder.
	rec := &recorder{ops: map[string]int{}}
	client := newClient(t, rec)
	tables := newTables(t, client)
	s := New(client, tables)
	if _, err := s.ListFunctions(t.Context()); err != nil {
		t.Fatalf("ListFunctions: %v", err)
	}
	if _, err := client.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(tables.Config)}); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	for _, op := range []string{"CreateTable", "Query", "Scan"} {
		if rec.count(op) == 0 {
			t.Errorf("recorder saw no %s", op)
		}
	}
}
