package grants

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTableDistrusted shows a distrusted Table reading the store for every
// check and caching nothing, and caching again once trusted.
func TestTableDistrusted(t *testing.T) {
	f := newTableFixture(t)
	table := f.table(t)
	require.NoError(t, table.Check("active", "alice", "db", f.now))
	require.Equal(t, 1, table.cache.len())

	table.distrust()
	assert.Zero(t, table.cache.len(), "distrust kept the cache")
	views := f.store.views.Load()
	for range 3 {
		require.NoError(t, table.Check("active", "alice", "db", f.now))
	}
	assert.Equal(t, views+3, f.store.views.Load(), "a distrusted check skipped the store")
	assert.Zero(t, table.cache.len(), "a distrusted check cached")

	table.trust()
	views = f.store.views.Load()
	for range 3 {
		require.NoError(t, table.Check("active", "alice", "db", f.now))
	}
	assert.Equal(t, views+1, f.store.views.Load(), "a trusted table did not cache")
}

// hookStore calls during inside every View, after fn has read.
type hookStore struct {
	Store
	during func()
}

func (h *hookStore) View(ctx context.Context, fn func(Tx) error) error {
	err := h.Store.View(ctx, fn)
	h.during()
	return err
}

// TestTableMissDoesNotCacheAcrossAChange ends a grant while a miss is
// reading it: what the miss read predates the change, so it answers from
// it but must not cache it.
func TestTableMissDoesNotCacheAcrossAChange(t *testing.T) {
	f := newTableFixture(t)
	hooked := &hookStore{Store: f.store, during: func() {}}
	table, err := NewTable(hooked, 16)
	require.NoError(t, err)

	hooked.during = func() {
		table.Ended(Change{GrantID: "active", State: GrantExpired})
	}
	require.NoError(t, table.Check("active", "alice", "db", f.now))
	assert.Zero(t, table.cache.len(), "a read older than a change was cached")
}
