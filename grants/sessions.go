package grants

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// OpenSession counts a new connection of grantID. It is called once for
// each connection that passed Check, full or resumed handshake alike, and
// refuses with ErrSessionLimit a grant whose MaxSessions are used up. A
// grant without a limit costs a cache lookup and no allocation when it is
// cached, one store read when not; one with a limit costs a store write,
// so that the count survives a restart and is shared by every replica. It
// fails closed when the store cannot be written.
func (t *Table) OpenSession(grantID string, now time.Time) error {
	c, ok := t.cache.get(grantID)
	if !ok {
		g, err := t.read(grantID)
		if err != nil {
			return err
		}
		c = cachedOf(g)
	}

	if !c.limited {
		return nil
	}
	return t.countSession(grantID, now)
}

// countSession takes one of the grant's sessions in the store, with its
// audit event.
func (t *Table) countSession(grantID string, now time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), checkReadTimeout)
	defer cancel()

	err := t.store.Update(ctx, func(tx Tx) error {
		g, err := tx.Grant(grantID)
		if err != nil {
			return err
		}
		if err := takeSession(&g); err != nil {
			return err
		}
		if err := tx.UpdateGrant(g); err != nil {
			return err
		}
		return tx.AppendEvent(Event{At: now.UTC(), Actor: g.User,
			Action: "grant.session", Subject: g.ID,
			Detail: fmt.Sprintf("session %d of %d", g.Sessions, g.MaxSessions)})
	})
	return sessionErr(err)
}

// takeSession counts one more session of g, or refuses.
func takeSession(g *Grant) error {
	if err := stateErr(g.State); err != nil {
		return err
	}
	if g.Sessions >= g.MaxSessions {
		return ErrSessionLimit
	}
	g.Sessions++
	return nil
}

// sessionErr maps what countSession met onto the check errors.
func sessionErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound):
		return ErrUnknownGrant
	case Reason(err) != "other":
		return err
	}
	return fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
}

// Activity records that a connection of grantID carried traffic at at. The
// proxy calls it at most once a second per connection. Grants known to
// have no idle timeout are ignored; for the others Sweep stores the latest
// traffic and ends the grant when there was none for its idle timeout.
func (t *Table) Activity(grantID string, at time.Time) {
	if c, ok := t.cache.get(grantID); ok && !c.idle {
		return
	}
	t.activity.record(grantID, at)
}

// activity keeps the last traffic of grants, in unix nanoseconds. It is
// safe for concurrent use; its zero value is ready.
type activity struct {
	mu   sync.RWMutex
	seen map[string]*atomic.Int64
}

// record moves the last traffic of grantID to at, unless it is later.
func (a *activity) record(grantID string, at time.Time) {
	a.mu.RLock()
	v := a.seen[grantID]
	a.mu.RUnlock()

	if v == nil {
		a.mu.Lock()
		if a.seen == nil {
			a.seen = make(map[string]*atomic.Int64)
		}
		if v = a.seen[grantID]; v == nil {
			v = new(atomic.Int64)
			a.seen[grantID] = v
		}
		a.mu.Unlock()
	}

	ns := at.UnixNano()
	for {
		old := v.Load()
		if ns <= old || v.CompareAndSwap(old, ns) {
			return
		}
	}
}

// last returns the last traffic of grantID, zero when none was recorded.
func (a *activity) last(grantID string) time.Time {
	a.mu.RLock()
	v := a.seen[grantID]
	a.mu.RUnlock()

	if v == nil {
		return time.Time{}
	}
	return fromNanos(v.Load())
}

// keep forgets every grant but those in ids.
func (a *activity) keep(ids []string) {
	wanted := make(map[string]bool, len(ids))
	for _, id := range ids {
		wanted[id] = true
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	for id := range a.seen {
		if !wanted[id] {
			delete(a.seen, id)
		}
	}
}

// IdleLimited reports whether grantID has an idle timeout, so that the
// proxy reports the traffic of its connections through Activity. A grant
// the cache does not hold counts as limited: watched for nothing is safer
// than ended while busy.
func (t *Table) IdleLimited(grantID string) bool {
	c, ok := t.cache.get(grantID)
	return !ok || c.idle
}
