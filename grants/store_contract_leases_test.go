package grants

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testStoreLeases walks one lease through the hands of two holders: each
// step says who asks, when, and whether they hold it afterwards.
func testStoreLeases(t *testing.T, s Store) {
	const ttl = 10 * time.Second
	steps := []struct {
		name   string
		holder string
		at     time.Duration
		want   bool
	}{
		{"a free lease is taken", "a", 0, true},
		{"another holder waits", "b", time.Second, false},
		{"the holder renews", "a", 5 * time.Second, true},
		{"the renewal counts from its own time", "b", 14 * time.Second, false},
		{"a lease run out is taken over", "b", 15 * time.Second, true},
		{"the old holder lost it", "a", 16 * time.Second, false},
	}
	for _, st := range steps {
		now := t0.Add(st.at)
		held := takeLease(t, s, "ops", st.holder, now, now.Add(ttl))
		assert.Equal(t, st.want, held, st.name)
	}

	assert.True(t, takeLease(t, s, "audit", "a", t0, t0.Add(ttl)),
		"leases of other names are apart")
}

func testStoreDropLease(t *testing.T, s Store) {
	require.True(t, takeLease(t, s, "ops", "a", t0, t0.Add(time.Hour)))

	update(t, s, func(tx Tx) error { return tx.DropLease("ops", "b") })
	assert.False(t, takeLease(t, s, "ops", "b", t0, t0.Add(time.Hour)),
		"only the holder can drop a lease")

	update(t, s, func(tx Tx) error { return tx.DropLease("ops", "a") })
	assert.True(t, takeLease(t, s, "ops", "b", t0, t0.Add(time.Hour)),
		"a dropped lease is free at once")
}

func takeLease(tb testing.TB, s Store, name, holder string, now, until time.Time) bool {
	tb.Helper()
	var held bool
	update(tb, s, func(tx Tx) (err error) {
		held, err = tx.TakeLease(name, holder, now, until)
		return err
	})
	return held
}
