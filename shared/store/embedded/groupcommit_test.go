package embedded

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func openBolt(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		t.Fatal(err)
	}
	return db
}

func put(k string) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put([]byte(k), []byte("v")) }
}

func keys(t *testing.T, db *bolt.DB) int {
	t.Helper()
	n := 0
	_ = db.View(func(tx *bolt.Tx) error { n = tx.Bucket([]byte("b")).Stats().KeyN; return nil })
	return n
}

func TestCommitterQueuedWritesAreVisibleAfterFlush(t *testing.T) {
	db := openBolt(t)
	c := newCommitter(db, func(err error) { t.Errorf("unexpected commit error: %v", err) })
	defer c.close()
	var wg sync.WaitGroup
	for i := 0; i < 300; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.enqueue(put(fmt.Sprint(i))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
	if n := keys(t, db); n != 300 {
		t.Errorf("after flush: %d keys, want 300", n)
	}
}

func TestCommitterIsolatesAFailingWrite(t *testing.T) {
	db := openBolt(t)
	var mu sync.Mutex
	var reported []error
	c := newCommitter(db, func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() })
	boom := errors.New("boom")
	_ = c.enqueue(put("a"))
	_ = c.enqueue(func(*bolt.Tx) error { return boom })
	err := c.write(func(*bolt.Tx) error { return boom })
	_ = c.enqueue(put("b"))
	c.close()
	if !errors.Is(err, boom) {
		t.Errorf("write = %v, want its own error", err)
	}
	if len(reported) != 1 || !errors.Is(reported[0], boom) {
		t.Errorf("reported = %v, want the queued write's failure once", reported)
	}
	if n := keys(t, db); n != 2 {
		t.Errorf("%d keys, want the 2 good writes committed despite their neighbours", n)
	}
}

func TestCommitterAfterClose(t *testing.T) {
	db := openBolt(t)
	c := newCommitter(db, func(error) {})
	_ = c.enqueue(put("queued"))
	c.close()
	if n := keys(t, db); n != 1 {
		t.Errorf("close committed %d keys, want the queued one", n)
	}
	if err := c.enqueue(put("late")); !errors.Is(err, errClosed) {
		t.Errorf("enqueue after close = %v, want errClosed", err)
	}
	c.close() // idempotent
}
