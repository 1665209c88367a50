package grants

import "time"

// Change tells subscribers that a grant entered a state.
type Change struct {
	GrantID string
	State   GrantState
}

// Table answers the proxy's inline grant check. Decisions are cached in an
// LRU; grants that were revoked or released sit in a revocation set that is
// consulted before the cache. It is safe for concurrent use.
type Table struct{}

// NewTable returns a Table over store holding up to size cached grants, with
// the revocation set loaded from the store.
func NewTable(store Store, size int) (*Table, error) { panic("todo") }

// Check returns nil when grantID names an active grant of user for resource
// that is valid at now, and otherwise one of the check errors (ErrUnknownGrant,
// ErrGrantRevoked, ...). A cache hit takes no lock across I/O and allocates
// nothing; a miss reads the store once and fails closed when it cannot.
func (t *Table) Check(grantID, user, resource string, now time.Time) error { panic("todo") }

// Ended records that a grant left the active state: it joins the revocation
// set (when revoked or released), leaves the cache, and every watcher is
// called before Ended returns.
func (t *Table) Ended(c Change) { panic("todo") }

// Watch registers fn to be called with every change, synchronously from
// Ended, after the change is committed. fn must not block. The returned
// function ends the registration.
func (t *Table) Watch(fn func(Change)) (stop func()) { panic("todo") }

// Stats returns the cache's hit and miss counts since start.
func (t *Table) Stats() (hits, misses uint64) { panic("todo") }
