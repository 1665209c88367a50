package proxy

import "sync"

// registry holds the live connections of each grant. It is safe for
// concurrent use.
type registry struct {
	mu      sync.Mutex
	byGrant map[string]map[*conn]struct{}
}

// add registers c under its grant.
func (r *registry) add(c *conn) {
	r.mu.Lock()
	defer r.mu.Unlock()

	if r.byGrant == nil {
		r.byGrant = make(map[string]map[*conn]struct{})
	}
	set := r.byGrant[c.claims.GrantID]
	if set == nil {
		set = make(map[*conn]struct{})
		r.byGrant[c.claims.GrantID] = set
	}
	set[c] = struct{}{}
}

// remove unregisters c.
func (r *registry) remove(c *conn) {
	r.mu.Lock()
	defer r.mu.Unlock()

	set := r.byGrant[c.claims.GrantID]
	delete(set, c)
	if len(set) == 0 {
		delete(r.byGrant, c.claims.GrantID)
	}
}

// of returns the live connections of grantID. They stay registered until
// their goroutines remove them.
func (r *registry) of(grantID string) []*conn {
	r.mu.Lock()
	defer r.mu.Unlock()

	set := r.byGrant[grantID]
	conns := make([]*conn, 0, len(set))
	for c := range set {
		conns = append(conns, c)
	}
	return conns
}

// count returns the number of live connections of grantID.
func (r *registry) count(grantID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()

	return len(r.byGrant[grantID])
}
