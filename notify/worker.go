package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/jitgate/jitgate/grants"
)

// batchSize is how many events a webhook reads from the store at once.
const batchSize = 100

// saveTimeout bounds saving a cursor, which is done even while stopping so
// that a delivered event is not sent again after a restart.
const saveTimeout = 5 * time.Second

// worker is the delivery loop of one webhook. Only its own goroutine
// touches it.
type worker struct {
	*env
	hook Webhook
	// cursor is the Seq of the last event handled; saved the last one
	// written to the store.
	cursor int64
	saved  int64
	// leasedUntil is when the webhook's lease runs out unless renewed,
	// zero when this process does not hold it; renewAt is when to renew.
	leasedUntil time.Time
	renewAt     time.Time
}

func (w *worker) run(ctx context.Context) {
	w.log.Info("webhook started",
		zap.String(keyWebhook, w.hook.Name), zap.Int64(keyCursor, w.cursor))

	for ctx.Err() == nil {
		if !w.hold(ctx) {
			sleep(ctx, w.poll)
			continue
		}
		if more := w.step(ctx); !more {
			sleep(ctx, w.poll)
		}
	}
	w.release()
	w.log.Info("webhook stopped",
		zap.String(keyWebhook, w.hook.Name), zap.Int64(keyCursor, w.saved))
}

// step handles the events after the cursor, up to batchSize, and reports
// whether the batch was full, so that more may wait.
func (w *worker) step(ctx context.Context) (more bool) {
	var events []grants.Event
	err := w.store.View(ctx, func(tx grants.Tx) (err error) {
		events, err = tx.EventsAfter(w.cursor, batchSize)
		return err
	})
	if err != nil {
		w.warn(ctx, "webhook cannot read events", err)
		return false
	}

	for _, e := range events {
		if err := w.handle(ctx, e); err != nil {
			w.warn(ctx, "webhook event not handled", err)
			return false
		}
	}
	w.save(ctx)
	return len(events) == batchSize
}

// handle delivers e when the webhook wants it and moves the cursor past it.
func (w *worker) handle(ctx context.Context, e grants.Event) error {
	k, ok := kinds[e.Action]
	if !ok || !w.hook.wants(k.event) {
		w.cursor = e.Seq
		return nil
	}

	p, err := load(ctx, w.reader, e, k)
	if errors.Is(err, grants.ErrNotFound) {
		w.skip(e, err)
		return nil
	}
	if err != nil {
		return err
	}
	if !w.hook.covers(p.resource()) {
		w.cursor = e.Seq
		return nil
	}

	if err := w.deliver(ctx, p); err != nil {
		return err
	}
	w.cursor = e.Seq
	w.save(ctx)
	return nil
}

// skip passes over an event whose request or grant is gone. Nothing in
// jitgate deletes them, so this is an operator's matter, and it is said
// loudly rather than holding every later event back for ever.
func (w *worker) skip(e grants.Event, err error) {
	w.log.Error("webhook event skipped", zap.String(keyWebhook, w.hook.Name),
		zap.String(keyDelivery, eventID(e.Seq)), zap.Error(err))
	w.rec.Delivery(w.hook.Name, resultSkipped)
	w.cursor = e.Seq
}

// save writes the cursor when it moved, renewing the lease in the same
// transaction: a process that lost the lease saves nothing. A failure is
// logged and tried again at the next save; meanwhile a restart, or the
// next holder, would send some events twice.
func (w *worker) save(ctx context.Context) {
	if w.cursor == w.saved {
		return
	}

	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	now := w.now()
	err := w.store.Update(ctx, func(tx grants.Tx) error {
		if w.holder != "" {
			if err := w.takeLease(tx, now); err != nil {
				return err
			}
		}
		return tx.SetCursor(w.hook.Name, w.cursor)
	})
	if errors.Is(err, errLeaseLost) {
		w.lose(ctx, err)
		return
	}
	if err != nil {
		w.log.Warn("webhook cursor not saved", zap.String(keyWebhook, w.hook.Name),
			zap.Int64(keyCursor, w.cursor), zap.Error(err))
		return
	}
	if w.holder != "" {
		w.leased(now)
	}
	w.saved = w.cursor
}

// warn logs err unless it only says that ctx ended, or that another
// process holds the lease, which lose tells.
func (w *worker) warn(ctx context.Context, msg string, err error) {
	if ctx.Err() != nil || errors.Is(err, errLeaseLost) {
		return
	}
	w.log.Warn(msg, zap.String(keyWebhook, w.hook.Name), zap.Error(err))
}

// encode renders p in the webhook's format.
func (w *worker) encode(p Payload) ([]byte, error) {
	var v any = p
	if w.hook.Format == FormatSlack {
		v = slackMessage{Text: slackText(p)}
	}

	// Receivers are not web pages: '<', '>' and '&' stay as they are.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode %s: %w", p.ID, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
