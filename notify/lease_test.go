package notify_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

// TestLeaseSharesAWebhookBetweenReplicas runs two notifiers on one store,
// as two replicas would: while both run, only the lease holder delivers,
// and when it stops the other takes over where it left off.
func TestLeaseSharesAWebhookBetweenReplicas(t *testing.T) {
	w := newWorld(t)
	rcv := newReceiver(t, testSecret, false)
	replica := func(holder string) *running {
		o := w.options(rcv.webhook("ops"))
		o.Holder = holder
		return start(t, o)
	}

	a := replica("a")
	want := []string{w.request("db").ID}
	got := []string{rcv.next().payload.Request.ID}
	replica("b")
	for range 2 {
		want = append(want, w.request("db").ID)
		got = append(got, rcv.next().payload.Request.ID)
	}
	// Stopping abandons an attempt in flight, which is then sent again:
	// let the holder finish first.
	waitCursorAtNewest(t, w.store, "ops")
	a.stop()
	want = append(want, w.request("db").ID)
	got = append(got, rcv.next().payload.Request.ID)

	assert.Equal(t, want, got)
	assert.Len(t, rcv.allAttempts(), len(want), "an event was delivered twice")
}

// waitCursorAtNewest waits until the webhook's saved cursor has reached the
// newest event.
func waitCursorAtNewest(t testing.TB, store grants.Store, webhook string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var done bool
		err := store.View(t.Context(), func(tx grants.Tx) error {
			newest, err := tx.Events(1)
			if err != nil {
				return err
			}
			cursor, err := tx.Cursor(webhook)
			done = len(newest) == 1 && cursor == newest[0].Seq
			return err
		})
		return err == nil && done
	}, waitLimit, 5*time.Millisecond)
}

// clock is a settable clock for notifiers' leases.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestLeaseOfAVanishedHolderIsTakenOver leaves a lease held by a process
// that is gone: no other notifier delivers until the lease runs out, and
// then one takes it and delivers what waited.
func TestLeaseOfAVanishedHolderIsTakenOver(t *testing.T) {
	w := newWorld(t)
	rcv := newReceiver(t, testSecret, false)
	c := &clock{now: time.Now()}
	err := w.store.Update(t.Context(), func(tx grants.Tx) error {
		_, err := tx.TakeLease("webhook:ops", "gone", c.Now(), c.Now().Add(time.Minute))
		return err
	})
	require.NoError(t, err)

	o := w.options(rcv.webhook("ops"))
	o.Holder, o.Now = "b", c.Now
	start(t, o)
	r := w.request("db")
	time.Sleep(50 * time.Millisecond)
	assert.Empty(t, rcv.allAttempts(), "delivered under another's lease")

	c.Advance(time.Minute)
	assert.Equal(t, r.ID, rcv.next().payload.Request.ID)
}
