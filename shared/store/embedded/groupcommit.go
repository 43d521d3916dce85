package embedded

import (
	"errors"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// errClosed answers writes submitted after Close.
var errClosed = errors.New("the store is closed")

// maxGroup bounds how many writes share one transaction.
const maxGroup = 512

// committer is group commit for the invocation log, the one write on the
// request path: a single goroutine commits, in one transaction (one fsync),
// every write that queued while the previous commit was syncing. An idle
// store adds one fsync to a call and no waiting; a busy one shares each
// fsync among all the calls that arrived meanwhile. (bbolt's own Batch waits
// up to MaxBatchDelay for company, which a lone call pays in full.)
type committer struct {
	db    *bolt.DB
	queue chan pendingWrite
	done  chan struct{}

	mu     sync.RWMutex
	closed bool
}

type pendingWrite struct {
	apply  func(*bolt.Tx) error
	result chan error
}

func newCommitter(db *bolt.DB) *committer {
	c := &committer{db: db, queue: make(chan pendingWrite, maxGroup), done: make(chan struct{})}
	go c.run()
	return c
}

// write applies fn in a shared transaction and returns once it is durable.
// fn must be idempotent: when another write of the group fails, the group
// is retried without it.
func (c *committer) write(fn func(*bolt.Tx) error) error {
	p := pendingWrite{apply: fn, result: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return errClosed
	}
	c.queue <- p
	c.mu.RUnlock()
	return <-p.result
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
			group[failed].result <- err
			group = append(group[:failed], group[failed+1:]...)
			continue
		}
		for _, p := range group {
			p.result <- err
		}
		return
	}
}
