package grants

import (
	"database/sql"
	"errors"
	"fmt"
)

// EventsAfter implements Tx.
func (t *sqlTx) EventsAfter(seq int64, limit int) ([]Event, error) {
	q := "SELECT " + eventColumns + " FROM events WHERE seq > ? ORDER BY seq"
	args := []any{seq}
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}

	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("list events after %d: %w", seq, err)
	}
	return collect(rows, scanEvent)
}

// Cursor implements Tx.
func (t *sqlTx) Cursor(name string) (int64, error) {
	var seq int64
	err := t.queryRow("SELECT seq FROM event_cursors WHERE name = ?", name).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("event cursor %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("read event cursor %q: %w", name, err)
	}
	return seq, nil
}

// SetCursor implements Tx. Both SQLite and PostgreSQL understand this
// upsert.
func (t *sqlTx) SetCursor(name string, seq int64) error {
	q := "INSERT INTO event_cursors (name, seq) VALUES (?, ?)" +
		" ON CONFLICT (name) DO UPDATE SET seq = excluded.seq"
	if _, err := t.exec(q, name, seq); err != nil {
		return fmt.Errorf("set event cursor %q: %w", name, err)
	}
	return nil
}
