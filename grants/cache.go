package grants

import (
	"errors"
	"fmt"
	"sync"
	"unique"
)

// cached is what the Table keeps of a grant: what Check compares, in 32
// bytes, so that a million of them take little memory. Who the grant is
// for is interned: the grants of one user for one resource share one copy
// of the names, which stays in the CPU's cache.
type cached struct {
	holder    unique.Handle[holder]
	notBefore int64
	notAfter  int64
	// refusal indexes stateRefusals: what the grant's state says.
	refusal uint8
	// limited and idle say whether the grant has a session limit and an
	// idle timeout, which OpenSession and Activity act on.
	limited bool
	idle    bool
}

// holder is who a grant lets through: its user, to its resource.
type holder struct {
	user     string
	resource string
}

// stateRefusals are the answers of stateErr, so that a cached grant keeps
// the one for its state in a byte. The first, which a zero cached has, is
// the refusal of a state that is not known.
var stateRefusals = [...]error{
	ErrUnknownGrant, ErrGrantRevoked, ErrGrantReleased, ErrGrantExpired, nil,
}

// refusalOf returns the index in stateRefusals of what stateErr says of
// state.
func refusalOf(state GrantState) uint8 {
	err := stateErr(state)
	for i := uint8(len(stateRefusals) - 1); i > 0; i-- {
		if errors.Is(err, stateRefusals[i]) {
			return i
		}
	}
	return 0
}

func cachedOf(g Grant) cached {
	return cached{
		holder:    unique.Make(holder{user: g.User, resource: g.Resource}),
		notBefore: g.NotBefore.UnixNano(),
		notAfter:  g.NotAfter.UnixNano(),
		refusal:   refusalOf(g.State),
		limited:   g.MaxSessions > 0,
		idle:      g.IdleTimeout > 0,
	}
}

// check compares a cached grant with a connection's claims at now, in unix
// nanoseconds.
func (c cached) check(user, resource string, now int64) error {
	if c.holder == (unique.Handle[holder]{}) {
		return ErrUnknownGrant
	}
	h := c.holder.Value()
	switch {
	case h.user != user:
		return ErrWrongUser
	case h.resource != resource:
		return ErrWrongResource
	case now < c.notBefore:
		return ErrNotYetValid
	case now >= c.notAfter:
		return ErrGrantExpired
	}
	return stateRefusals[c.refusal]
}

// grantCache holds up to size cached grants by ID. It is safe for
// concurrent use.
//
// A hit is one lookup in a Go map under a read lock, which copies the
// 32-byte entry out. A general-purpose LRU costs a hit a lock of its own,
// a pointer to follow to a list node, and copies of a larger entry: in an
// A/B run of the same Check over golang-lru, hits took 21 to 47% longer.
// Adding to a full cache evicts an arbitrary entry rather than the least
// recently used one; an evicted grant that is still in use costs one store
// read when it comes back.
type grantCache struct {
	size    int
	mu      sync.RWMutex
	entries map[string]cached
}

// newGrantCache returns an empty cache of up to size grants.
func newGrantCache(size int) (*grantCache, error) {
	if size <= 0 {
		return nil, fmt.Errorf("grant cache of size %d: must hold at least one grant",
			size)
	}
	return &grantCache{size: size, entries: make(map[string]cached)}, nil
}

// get returns the cached grant of id.
func (c *grantCache) get(id string) (cached, bool) {
	c.mu.RLock()
	e, ok := c.entries[id]
	c.mu.RUnlock()
	return e, ok
}

// check compares the cached grant of id with a connection's claims at now,
// in unix nanoseconds; hit is false when id is not cached.
func (c *grantCache) check(id, user, resource string, now int64) (hit bool, err error) {
	c.mu.RLock()
	e, ok := c.entries[id]
	c.mu.RUnlock()

	if !ok {
		return false, nil
	}
	return true, e.check(user, resource, now)
}

// add caches e as the grant of id, evicting another grant when the cache
// is full, unless fresh says e is out of date. fresh runs under the lock
// that remove and purge take, so a removal it could not see yet comes
// after the add and undoes it.
func (c *grantCache) add(id string, e cached, fresh func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if !fresh() {
		return
	}
	if _, ok := c.entries[id]; !ok && len(c.entries) >= c.size {
		// Go starts every range over a map at a random place.
		for old := range c.entries {
			delete(c.entries, old)
			break
		}
	}
	c.entries[id] = e
}

// remove drops the grant of id.
func (c *grantCache) remove(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}

// purge drops every grant.
func (c *grantCache) purge() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

// len returns how many grants are cached.
func (c *grantCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
