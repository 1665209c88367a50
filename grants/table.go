package grants

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// checkReadTimeout bounds the one store read of a cache miss, so that a
// stuck store fails the handshake instead of holding it.
const checkReadTimeout = 2 * time.Second

// Change tells subscribers that a grant entered a state.
type Change struct {
	GrantID string
	State   GrantState
	// NotAfter is the grant's end; after it the grant is refused whatever
	// its state, so the revocation set can forget it. Zero means unknown.
	NotAfter time.Time
}

// stateErr is the refusal for a grant in state, nil when it is active. An
// unknown state is refused.
func stateErr(state GrantState) error {
	switch state {
	case GrantActive:
		return nil
	case GrantRevoked:
		return ErrGrantRevoked
	case GrantReleased:
		return ErrGrantReleased
	case GrantExpired:
		return ErrGrantExpired
	}
	return ErrUnknownGrant
}

// Table answers the proxy's inline grant check. Grants are cached in a
// bounded map; grants that were revoked or released sit in a revocation
// set that is consulted before the cache. A Table over a store that other
// processes write trusts its cache only while a Feed tells it of their
// changes. It is safe for concurrent use.
type Table struct {
	store  Store
	cache  *grantCache
	hits   atomic.Uint64
	misses atomic.Uint64
	// distrusted is set while the cache may miss changes made elsewhere:
	// checks then read the store and nothing is cached.
	distrusted atomic.Bool
	// epoch counts the cache's invalidations, so that a miss does not
	// cache what it read before one.
	epoch atomic.Uint64

	mu      sync.RWMutex
	revoked map[string]Change

	watchMu  sync.Mutex
	watchers map[uint64]func(Change)
	nextID   uint64

	// activity is the last traffic of grants with an idle timeout.
	activity activity
}

// NewTable returns a Table over store holding up to size cached grants, with
// the revocation set loaded from the store.
func NewTable(store Store, size int) (*Table, error) {
	cache, err := newGrantCache(size)
	if err != nil {
		return nil, err
	}

	t := &Table{
		store:    store,
		cache:    cache,
		revoked:  make(map[string]Change),
		watchers: make(map[uint64]func(Change)),
	}
	if err := t.loadRevoked(); err != nil {
		return nil, err
	}
	return t, nil
}

// loadRevoked fills the revocation set with the revoked and released
// grants that have not reached their end; the others fail the time check.
func (t *Table) loadRevoked() error {
	var ended []Grant
	err := t.store.View(context.Background(), func(tx Tx) (err error) {
		ended, err = tx.Grants(GrantFilter{
			States:    []GrantState{GrantRevoked, GrantReleased},
			EndsAfter: time.Now(),
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("load revoked grants: %w", err)
	}

	for _, g := range ended {
		t.revoked[g.ID] = Change{GrantID: g.ID, State: g.State, NotAfter: g.NotAfter}
	}
	return nil
}

// Check returns nil when grantID names an active grant of user for resource
// that is valid at now, and otherwise one of the check errors (ErrUnknownGrant,
// ErrGrantRevoked, ...). A cache hit takes no lock across I/O and allocates
// nothing; a miss reads the store once and fails closed when it cannot.
func (t *Table) Check(grantID, user, resource string, now time.Time) error {
	if err := t.revokedErr(grantID); err != nil {
		return err
	}

	if !t.distrusted.Load() {
		if hit, err := t.cache.check(grantID, user, resource, now.UnixNano()); hit {
			t.hits.Add(1)
			return err
		}
	}
	c, err := t.miss(grantID)
	if err != nil {
		return err
	}
	return c.check(user, resource, now.UnixNano())
}

// revokedErr returns the refusal for a grant in the revocation set.
func (t *Table) revokedErr(grantID string) error {
	t.mu.RLock()
	c, ok := t.revoked[grantID]
	t.mu.RUnlock()

	if !ok {
		return nil
	}
	return stateErr(c.State)
}

// miss reads a grant that Check did not find in the cache, and caches it
// unless the cache is distrusted.
func (t *Table) miss(grantID string) (cached, error) {
	t.misses.Add(1)

	if grantID == "" {
		return cached{}, ErrUnknownGrant
	}
	epoch := t.epoch.Load()
	g, err := t.read(grantID)
	if err != nil {
		return cached{}, err
	}

	// Unknown grants are not cached, or anyone could fill the cache.
	c := cachedOf(g)
	t.remember(grantID, c, epoch)
	return c, nil
}

// remember caches what a miss read unless the cache is distrusted or was
// invalidated since the read began at epoch: what was read may predate
// the change the invalidation was for. An invalidation counts before it
// removes, and the cache decides whether to add under the lock that
// removing takes, so once an invalidation has returned no read from
// before it is in the cache, not even for a moment.
func (t *Table) remember(grantID string, c cached, epoch uint64) {
	t.cache.add(grantID, c, func() bool {
		return !t.distrusted.Load() && t.epoch.Load() == epoch
	})
}

// forget drops grantID from the cache.
func (t *Table) forget(grantID string) {
	t.epoch.Add(1)
	t.cache.remove(grantID)
}

// distrust stops the Table from answering out of its cache, and empties
// it, until trust is called: a Feed calls it when it stops hearing of
// other replicas' changes.
func (t *Table) distrust() {
	t.distrusted.Store(true)
	t.epoch.Add(1)
	t.cache.purge()
}

// trust lets the Table cache again, once a Feed has caught up.
func (t *Table) trust() {
	t.epoch.Add(1)
	t.distrusted.Store(false)
}

// read fetches a grant from the store.
func (t *Table) read(grantID string) (Grant, error) {
	ctx, cancel := context.WithTimeout(context.Background(), checkReadTimeout)
	defer cancel()

	var g Grant
	err := t.store.View(ctx, func(tx Tx) (err error) {
		g, err = tx.Grant(grantID)
		return err
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return Grant{}, ErrUnknownGrant
	case err != nil:
		return Grant{}, fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	}
	return g, nil
}

// Ended records that a grant left the active state: it joins the revocation
// set (when revoked or released), leaves the cache, and every watcher is
// called before Ended returns.
func (t *Table) Ended(c Change) {
	if c.State == GrantRevoked || c.State == GrantReleased {
		t.mu.Lock()
		t.revoked[c.GrantID] = c
		t.mu.Unlock()
	}
	t.forget(c.GrantID)

	for _, fn := range t.watching() {
		fn(c)
	}
}

// prune forgets revoked grants that have reached their end: the time check
// refuses them from then on.
func (t *Table) prune(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()

	for id, c := range t.revoked {
		if !c.NotAfter.IsZero() && !now.Before(c.NotAfter) {
			delete(t.revoked, id)
		}
	}
}

// Watch registers fn to be called with every change, synchronously from
// Ended, after the change is committed. fn must not block. The returned
// function ends the registration.
func (t *Table) Watch(fn func(Change)) (stop func()) {
	t.watchMu.Lock()
	defer t.watchMu.Unlock()

	id := t.nextID
	t.nextID++
	t.watchers[id] = fn
	return func() {
		t.watchMu.Lock()
		defer t.watchMu.Unlock()
		delete(t.watchers, id)
	}
}

// watching returns the current watchers, so that they are called without
// the lock and may stop themselves.
func (t *Table) watching() []func(Change) {
	t.watchMu.Lock()
	defer t.watchMu.Unlock()

	fns := make([]func(Change), 0, len(t.watchers))
	for _, fn := range t.watchers {
		fns = append(fns, fn)
	}
	return fns
}

// Stats returns the cache's hit and miss counts since start.
func (t *Table) Stats() (hits, misses uint64) {
	return t.hits.Load(), t.misses.Load()
}
