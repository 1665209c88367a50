package notify

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/jitgate/jitgate/grants"
)

// Replicas that share a store share out the webhooks through leases in the
// store: a row per webhook naming its holder and when the lease runs out,
// taken and renewed in a transaction (grants.Tx.TakeLease). A row rather
// than a PostgreSQL advisory lock, because it needs no connection of its
// own, works through the Store on either database, shows who delivers what
// in the database itself, and fences the cursor: a cursor is saved in the
// same transaction that renews the lease, so a holder that lost its lease
// can never move the new holder's cursor back. The price is that a holder
// that dies without giving its lease up is replaced only after LeaseTTL,
// and that replicas' clocks must agree to well within it.

// leaseName is the store's name for the lease of the webhook called name.
func leaseName(name string) string {
	return "webhook:" + name
}

// hold reports whether this process may deliver the webhook now, taking or
// renewing its lease when that is due. A lease newly taken reloads the
// cursor, which the last holder may have moved on.
func (w *worker) hold(ctx context.Context) bool {
	if w.holder == "" {
		return true
	}
	now := w.now()
	if now.Before(w.renewAt) {
		return true
	}

	had := now.Before(w.leasedUntil)
	var cursor int64
	err := w.store.Update(ctx, func(tx grants.Tx) (err error) {
		if err = w.takeLease(tx, now); err != nil || had {
			return err
		}
		cursor, err = tx.Cursor(w.hook.Name)
		return err
	})
	if err != nil {
		w.lose(ctx, err)
		return false
	}

	if !had {
		w.cursor, w.saved = cursor, cursor
		w.log.Info("webhook lease taken", zap.String(keyWebhook, w.hook.Name),
			zap.Int64(keyCursor, cursor))
	}
	w.leased(now)
	return true
}

// takeLease takes or renews the webhook's lease inside tx, and returns
// errLeaseLost when another process holds it.
func (w *worker) takeLease(tx grants.Tx, now time.Time) error {
	held, err := tx.TakeLease(leaseName(w.hook.Name), w.holder, now, now.Add(w.leaseTTL))
	if err != nil {
		return err
	}
	if !held {
		return errLeaseLost
	}
	return nil
}

// leased records that the lease was taken or renewed at now.
func (w *worker) leased(now time.Time) {
	w.leasedUntil = now.Add(w.leaseTTL)
	w.renewAt = now.Add(w.leaseTTL / 3)
}

// lose forgets the lease after err: another process holds it, or the store
// could not say, in which case this process must not deliver either.
func (w *worker) lose(ctx context.Context, err error) {
	if errors.Is(err, errLeaseLost) && w.now().Before(w.leasedUntil) {
		w.log.Info("webhook lease lost", zap.String(keyWebhook, w.hook.Name))
	}
	if !errors.Is(err, errLeaseLost) {
		w.warn(ctx, "webhook lease not taken", err)
	}
	w.leasedUntil, w.renewAt = time.Time{}, time.Time{}
}

// release gives the lease up, so that another replica takes over at once
// rather than after LeaseTTL.
func (w *worker) release() {
	if w.holder == "" || !w.now().Before(w.leasedUntil) {
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
	defer cancel()
	err := w.store.Update(ctx, func(tx grants.Tx) error {
		return tx.DropLease(leaseName(w.hook.Name), w.holder)
	})
	if err != nil {
		w.log.Warn("webhook lease not given up", zap.String(keyWebhook, w.hook.Name),
			zap.Error(err))
	}
	w.leasedUntil, w.renewAt = time.Time{}, time.Time{}
}
