package dynamo

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/store"
	"github.com/fiso-dev/fiso/shared/store/storetest"
	"github.com/fiso-dev/fiso/shared/testenv"
)

// lossyHTTP sends requests to moto one at a time (through testenv's
// client) and loses the answers of the first requests of one operation
// whose body holds a string: moto applies them (when sent), and the client
// sees a dropped connection, as from a store saturated by a burst of calls.
type lossyHTTP struct {
	next      aws.HTTPClient
	op, match string
	mu        sync.Mutex
	lose      int // answers still to lose
	lost      int
	sent      bool // whether a lost request reaches moto first
}

func newLossy(t *testing.T, op, match string) (*Store, *lossyHTTP) {
	t.Helper()
	lossy := &lossyHTTP{next: testenv.AWSConfig().HTTPClient, op: op, match: match}
	client := dynamodb.NewFromConfig(testenv.AWSConfig(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(testenv.Moto(t))
		o.HTTPClient = lossy
	})
	return New(client, newTables(t, client), WithClock(storetest.Now)), lossy
}

// loseNext loses the answers of the next n matching requests.
func (c *lossyHTTP) loseNext(n int, sent bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lose, c.lost, c.sent = n, 0, sent
}

func (c *lossyHTTP) Do(req *http.Request) (*http.Response, error) {
	if req.Header.Get("X-Amz-Target") != "DynamoDB_20120810."+c.op || req.Body == nil {
		return c.next.Do(req)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	c.mu.Lock()
	lose := c.lose > 0 && strings.Contains(string(body), c.match)
	if lose {
		c.lose--
		c.lost++
	}
	c.mu.Unlock()
	if !lose {
		return c.next.Do(req)
	}
	if c.sent {
		if resp, err := c.next.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	return nil, errors.New("read tcp 127.0.0.1: connection reset by peer")
}

// losses are the ways a write's answer is lost: the SDK retries 3 times.
var losses = []struct {
	name string
	lose int
	sent bool
}{
	{"applied, answer lost once (the SDK retries)", 1, true},
	{"applied, answers lost past the SDK's retries", 5, true},
	{"never arrived, past the SDK's retries", 5, false},
}

// TestSettleSurvivesLostAnswers settles reservations whose takes are lost
// on the wire, applied or not, fewer times than the SDK retries and more:
// every one settles exactly once, and nothing stays committed.
func TestSettleSurvivesLostAnswers(t *testing.T) {
	for _, tt := range losses {
		t.Run(tt.name, func(t *testing.T) {
			// The take is the UpdateItem that sets the taker.
			s, lossy := newLossy(t, "UpdateItem", attrTaker)
			ctx := t.Context()
			b, r := reserveOne(t, s, budget.Function, "resize", budget.Day)

			lossy.loseNext(tt.lose, tt.sent)
			cs, err := s.Settle(ctx, r, budget.PicoUSD(0.6))
			if err != nil {
				t.Fatalf("Settle: %v", err)
			}
			if lossy.lost != tt.lose {
				t.Fatalf("lost %d answers, want %d: the test did not reach the take", lossy.lost, tt.lose)
			}
			if len(cs) != 1 || cs[0].Threshold != 50 {
				t.Errorf("crossings = %+v, want the 50%% threshold", cs)
			}
			want := budget.PicoUSD(0.6)
			checkCounter(t, s, b, want, want)

			// Settled once: settling again, or sweeping later, changes nothing.
			if cs, err := s.Settle(ctx, r, budget.PicoUSD(0.6)); err != nil || len(cs) != 0 {
				t.Errorf("second Settle = %+v, %v; want no crossing and no error", cs, err)
			}
			if n, err := s.SweepReservations(ctx, storetest.Now().Add(time.Hour)); err != nil || n != 0 {
				t.Errorf("SweepReservations = %d, %v; want 0 released", n, err)
			}
			checkCounter(t, s, b, want, want)
			checkNoRecord(t, s, r)
		})
	}
}

// TestPutAlertSurvivesLostAnswers records alerts whose writes are lost on
// the wire: the call that recorded one is told it was first (and sends
// it), and any other call that it was not.
func TestPutAlertSurvivesLostAnswers(t *testing.T) {
	for _, tt := range losses {
		t.Run(tt.name, func(t *testing.T) {
			s, lossy := newLossy(t, "TransactWriteItems", kindAlertID)
			ctx := t.Context()
			a := budget.Alert{ID: "team/imaging/2031-03/80", Budget: budget.Ref{Scope: budget.Team, ID: "imaging"}, Period: "2031-03",
				Threshold: 80, SpentUSD: 8, LimitUSD: 10, At: storetest.Now()}
			lossy.loseNext(tt.lose, tt.sent)
			first, err := s.PutAlert(ctx, a)
			if err != nil || !first {
				t.Fatalf("PutAlert = %v, %v; want first", first, err)
			}
			if lossy.lost != tt.lose {
				t.Fatalf("lost %d answers, want %d: the test did not reach the write", lossy.lost, tt.lose)
			}
			if first, err := s.PutAlert(ctx, a); err != nil || first {
				t.Errorf("another call's PutAlert = %v, %v; want not first", first, err)
			}
			got, err := s.ListAlerts(ctx, storetest.Now().Add(-time.Hour), 10)
			if err != nil || len(got) != 1 || got[0].ID != a.ID {
				t.Errorf("ListAlerts = %+v, %v; want the one alert", got, err)
			}
		})
	}
}

// TestSweepDeletesTakenRecords: a record whose settlement took it and
// could not delete it is deleted by the sweep once expired, releasing
// nothing (its settlement counted it).
func TestSweepDeletesTakenRecords(t *testing.T) {
	s, _ := openStore(t, WithClock(storetest.Now))
	ctx := t.Context()
	b, r := reserveOne(t, s, budget.Team, "imaging", budget.Month)
	if _, found, err := s.takeReservation(ctx, reservationKey(r), newToken("settle")); err != nil || !found {
		t.Fatalf("takeReservation = %v, %v; want found", found, err)
	}
	if _, found, err := s.takeReservation(ctx, reservationKey(r), newToken("sweep")); err != nil || found {
		t.Fatalf("a second taker: takeReservation = %v, %v; want not found", found, err)
	}
	if n, err := s.SweepReservations(ctx, r.ExpiresAt.Add(time.Second)); err != nil || n != 0 {
		t.Errorf("SweepReservations = %d, %v; want 0 released", n, err)
	}
	checkCounter(t, s, b, 0, budget.PicoUSD(0.25))
	checkNoRecord(t, s, r)
}

// reserveOne stores a $1 budget and reserves $0.25 of it for one call.
func reserveOne(t *testing.T, s *Store, scope budget.Scope, id string, period budget.Period) (budget.Budget, budget.Reservation) {
	t.Helper()
	b := budget.Budget{Scope: scope, ID: id, Period: period, LimitUSD: 1, UpdatedAt: storetest.Now()}
	b.Normalize()
	if _, _, err := s.PutBudget(t.Context(), b, store.AnyVersion); err != nil {
		t.Fatalf("PutBudget: %v", err)
	}
	r := budget.NewReservation("call-1", []budget.Budget{b}, 0.25, storetest.Now(), 2*time.Minute)
	if err := s.Reserve(t.Context(), r); err != nil {
		t.Fatalf("Reserve: %v", err)
	}
	return b, r
}

func checkCounter(t *testing.T, s *Store, b budget.Budget, spent, committed int64) {
	t.Helper()
	period, _, _ := budget.Window(b.Period, storetest.Now())
	n, err := s.getCounter(t.Context(), budget.Charge{Budget: b.Ref(), Period: period})
	if err != nil {
		t.Fatal(err)
	}
	if n.Spent != spent || n.Committed != committed {
		t.Errorf("counter of %s = spent %d, committed %d; want %d, %d", b.Ref(), n.Spent, n.Committed, spent, committed)
	}
}

func checkNoRecord(t *testing.T, s *Store, r budget.Reservation) {
	t.Helper()
	out, err := s.db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(s.tables.Aggregates), Key: reservationKey(r), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Item) != 0 {
		t.Errorf("the reservation record is still stored: %v", out.Item)
	}
}
