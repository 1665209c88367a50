package proxy

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWorkersRunEveryJobOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	w := newWorkers()

	const jobs = 500
	var ran [jobs]atomic.Int32
	var started sync.WaitGroup
	for i := range jobs {
		started.Go(func() { w.run(ctx, &wg, func() { ran[i].Add(1) }) })
	}
	started.Wait()

	cancel()
	wg.Wait()
	for i := range jobs {
		assert.Equal(t, int32(1), ran[i].Load(), "job %d", i)
	}
}

// TestWorkersReuseIdleWorker hands jobs to the pool one after another: the
// worker of the first is idle by the time the second comes and takes it.
func TestWorkersReuseIdleWorker(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	w := newWorkers()

	done := make(chan struct{})
	w.run(ctx, &wg, func() { done <- struct{}{} })
	<-done
	handed := func() bool {
		select {
		case w.jobs <- func() { done <- struct{}{} }:
			return true
		default:
			return false
		}
	}
	require.Eventually(t, handed, waitTime, time.Millisecond,
		"the first job's worker never waited for another")
	<-done
}

func TestWorkersEndWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	w := newWorkers()
	for range 4 {
		w.run(ctx, &wg, func() {})
	}

	cancel()
	ended := make(chan struct{})
	go func() { wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(workerIdle / 2):
		require.FailNow(t, "idle workers outlived their context")
	}
}
