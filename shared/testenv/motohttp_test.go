package testenv

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestMotoRequestsTakeTurns: requests to the moto endpoint are in flight
// one at a time, whatever client sends them; requests elsewhere are not held.
func TestMotoRequestsTakeTurns(t *testing.T) {
	type server struct {
		url               string
		inFlight, maxSeen atomic.Int64
	}
	start := func() *server {
		s := &server{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := s.inFlight.Add(1)
			defer s.inFlight.Add(-1)
			for {
				m := s.maxSeen.Load()
				if n <= m || s.maxSeen.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
			w.Write([]byte("{}"))
		}))
		t.Cleanup(srv.Close)
		s.url = srv.URL
		return s
	}
	moto, other := start(), start()
	t.Setenv(MotoEnv, moto.url)
	if got := Moto(t); got != moto.url {
		t.Fatalf("Moto = %s, want %s from %s", got, moto.url, MotoEnv)
	}

	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := moto.url
			if i%2 == 1 {
				target = other.url
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, target+"/", nil)
			if err != nil {
				t.Error(err)
				return
			}
			resp, err := AWSConfig().HTTPClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	if got := moto.maxSeen.Load(); got != 1 {
		t.Errorf("%d requests to moto were in flight at once, want 1", got)
	}
	if got := other.maxSeen.Load(); got < 2 {
		t.Errorf("at most %d request to another server was in flight, want them concurrent", got)
	}
}
