package predict

import (
	"runtime"
	"sync"
)

// minChunk is the fewest samples worth a goroutine of their own.
const minChunk = 32 << 10

// workers is how many goroutines a pass over n samples uses.
func workers(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0), n/minChunk))
}

// parallel calls fn(w, lo, hi) for w workers covering [0, n) in contiguous
// ranges and waits for them. Each worker owns its accumulator, so the sum of
// the parts is the same from run to run for a given worker count.
func parallel(n, w int, fn func(w, lo, hi int)) {
	if w <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for i := range w {
		lo, hi := i*n/w, (i+1)*n/w
		wg.Go(func() { fn(i, lo, hi) })
	}
	wg.Wait()
}
