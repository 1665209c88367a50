package grants

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGrantCacheHoldsAtMostItsSize(t *testing.T) {
	c, err := newGrantCache(3)
	require.NoError(t, err)
	e := cachedOf(Grant{User: "alice", Resource: "db", State: GrantActive})

	for i := range 5 {
		c.add(fmt.Sprintf("gr_%d", i), e, current)
		assert.LessOrEqual(t, c.len(), 3)
	}
	assert.Equal(t, 3, c.len())
	hit, _ := c.check("gr_4", "", "", 0)
	assert.True(t, hit, "the grant added last was evicted")

	held := c.held()
	for _, id := range held {
		c.add(id, e, current)
	}
	assert.ElementsMatch(t, held, c.held(), "replacing a cached grant evicted another")

	c.remove(held[0])
	assert.Equal(t, 2, c.len())
	c.purge()
	assert.Zero(t, c.len())
}

// current is the freshness of an entry that nothing invalidated.
func current() bool { return true }

// held returns the IDs of the cached grants.
func (c *grantCache) held() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var ids []string
	for id := range c.entries {
		ids = append(ids, id)
	}
	return ids
}

func TestNewGrantCacheRefusesNoRoom(t *testing.T) {
	for _, size := range []int{0, -1} {
		_, err := newGrantCache(size)
		assert.ErrorContains(t, err, fmt.Sprintf("grant cache of size %d", size))
	}
}

func TestZeroCachedGrantRefuses(t *testing.T) {
	assert.ErrorIs(t, cached{}.check("", "", 0), ErrUnknownGrant)
	assert.ErrorIs(t, stateRefusals[cached{}.refusal], ErrUnknownGrant)
}
