package embedded

import (
	"errors"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// errClosed answers writes submitted after Close.
var errClosed = errors.New("the store is closed")

// maxGroup bounds how many writes share one transaction.
const maxGroup = 512

// committer is group commit for the invocation log, the one write on the
// request path: a single goroutine commits, in one transaction (one fsync),
// every write that queued while the previous commit was syncing, so a busy
// store shares each fsync among all the calls that arrived meanwhile.
// (bbolt's own Batch waits up to MaxBatchDelay for company, which a lone
// call pays in full.)
//
// Writes can be acknowledged when queued (enqueue) rather than when durable
// (write): the caller is spared the fsync, reads call flush first so they
// still see every write acknowledged before them, and a failed commit is
// reported to onError. What a crash can lose is the last commit's worth of
// acknowledged writes, under a millisecond of them.
type committer struct {
	db      *bolt.DB
	queue   chan pendingWrite
	done    chan struct{}
	onError func(error)

	// pending counts writes queued but not yet committed, so that flush
	// costs nothing (no empty transaction, no fsync) when there are none.
	pending atomic.Int64

	mu     sync.RWMutex
	closed bool
}

type pendingWrite struct {
	apply func(*bolt.Tx) error
	// result receives the outcome; nil for acknowledged-when-queued writes,
	// whose failures go to onError.
	result chan error
}

func newCommitter(db *bolt.DB, onError func(error)) *committer {
	c := &committer{db: db, queue: make(chan pendingWrite, maxGroup), done: make(chan struct{}), onError: onError}
	go c.run()
	return c
}

// write applies fn in a shared transaction and returns once it is durable.
// fn must be idempotent: when another write of the group fails, the group
// is retried without it.
func (c *committer) write(fn func(*bolt.Tx) error) error {
	p := pendingWrite{apply: fn, result: make(chan error, 1)}
	if err := c.submit(p); err != nil {
		return err
	}
	return <-p.result
}

// enqueue queues fn and returns at once (blocking only while the queue is
// full, which is the backpressure).
func (c *committer) enqueue(fn func(*bolt.Tx) error) error {
	return c.submit(pendingWrite{apply: fn})
}

// flush returns once every write queued before it is committed.
func (c *committer) flush() error {
	if c.pending.Load() == 0 {
		return nil
	}
	return c.write(func(*bolt.Tx) error { return nil })
}

func (c *committer) submit(p pendingWrite) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return errClosed
	}
	c.pending.Add(1)
	c.queue <- p
	return nil
}

// close commits what is queued and stops the committer.
func (c *committer) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	group := make([]pendingWrite, 0, maxGroup)
	for first := range c.queue {
		group = append(group[:0], first)
	fill:
		for len(group) < maxGroup {
			select {
			case p, ok := <-c.queue:
				if !ok {
					break fill
				}
				group = append(group, p)
			default:
				break fill
			}
		}
		c.commit(group)
	}
}

// commit writes a group in one transaction. A write that fails is answered
// with its error and the rest are committed without it.
func (c *committer) commit(group []pendingWrite) {
	for len(group) > 0 {
		failed := -1
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, p := range group {
				if err := p.apply(tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			c.answer(group[failed], err)
			group = append(group[:failed], group[failed+1:]...)
			continue
		}
		for _, p := range group {
			c.answer(p, err)
		}
		return
	}
}

func (c *committer) answer(p pendingWrite, err error) {
	c.pending.Add(-1)
	switch {
	case p.result != nil:
		p.result <- err
	case err != nil:
		c.onError(err)
	}
}
