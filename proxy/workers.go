package proxy

import (
	"context"
	"sync"
	"time"
)

// workerIdle is how long a handshake worker waits for the next connection
// before it ends.
const workerIdle = 2 * time.Second

// workers runs the handshakes of accepted connections on goroutines that
// outlive one connection. A handshake deepens a goroutine's stack to tens of
// kilobytes; a fresh goroutine for each would copy its stack several times
// growing it again, which costs more than handing the next connection to a
// goroutine already grown. It is safe for concurrent use.
type workers struct {
	// jobs hands a job to a worker waiting for one. It is unbuffered: a
	// send either reaches a waiting worker at once or fails, so no job
	// waits behind a busy one.
	jobs chan func()
}

// newWorkers returns a pool with no workers yet.
func newWorkers() *workers {
	return &workers{jobs: make(chan func())}
}

// run runs job on an idle worker, or on a new one counted by wg when none
// is idle. Workers end once idle for workerIdle or when ctx ends.
func (w *workers) run(ctx context.Context, wg *sync.WaitGroup, job func()) {
	select {
	case w.jobs <- job:
		return
	default:
	}
	wg.Go(func() {
		job()
		w.serve(ctx)
	})
}

// serve runs the jobs handed over until none comes for workerIdle or ctx
// ends.
func (w *workers) serve(ctx context.Context) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()

	for {
		select {
		case job := <-w.jobs:
			job()
			idle.Reset(workerIdle)
		case <-idle.C:
			return
		case <-ctx.Done():
			return
		}
	}
}
