package grants

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testStoreOutbox covers reading the audit trail as a queue: events after a
// Seq, and named cursors that only move when told to.
func testStoreOutbox(t *testing.T, s Store) {
	var want []Event
	update(t, s, func(tx Tx) error {
		for i := range 5 {
			e := Event{At: t0.Add(time.Duration(i) * time.Second), Actor: "alice",
				Action: "request.create", Subject: string(rune('a' + i))}
			require.NoError(t, tx.AppendEvent(e))
			e.Seq = int64(i + 1)
			want = append(want, e)
		}
		return nil
	})

	t.Run("events after", func(t *testing.T) {
		testStoreEventsAfter(t, s, want)
	})
	t.Run("cursors", func(t *testing.T) {
		testStoreCursors(t, s)
	})
}

func testStoreEventsAfter(t *testing.T, s Store, all []Event) {
	tests := []struct {
		name  string
		after int64
		limit int
		want  []Event
	}{
		{"from the start", 0, 0, all},
		{"from the middle", 2, 0, all[2:]},
		{"limited, oldest first", 1, 2, all[1:3]},
		{"limit past the end", 3, 10, all[3:]},
		{"at the newest", 5, 0, nil},
		{"past the newest", 9, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			view(t, s, func(tx Tx) error {
				got, err := tx.EventsAfter(tc.after, tc.limit)
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
				return nil
			})
		})
	}
}

func testStoreCursors(t *testing.T, s Store) {
	view(t, s, func(tx Tx) error {
		_, err := tx.Cursor("ops")
		assert.ErrorIs(t, err, ErrNotFound)
		return nil
	})

	update(t, s, func(tx Tx) error {
		require.NoError(t, tx.SetCursor("ops", 3))
		return tx.SetCursor("slack", 1)
	})
	update(t, s, func(tx Tx) error { return tx.SetCursor("ops", 4) })

	err := s.Update(t.Context(), func(tx Tx) error {
		require.NoError(t, tx.SetCursor("slack", 5))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)

	view(t, s, func(tx Tx) error {
		for name, want := range map[string]int64{"ops": 4, "slack": 1} {
			got, err := tx.Cursor(name)
			require.NoError(t, err)
			assert.Equal(t, want, got, name)
		}
		return nil
	})
}
