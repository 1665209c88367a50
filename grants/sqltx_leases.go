package grants

import (
	"fmt"
	"time"
)

// TakeLease implements Tx. The upsert changes the row only when the lease
// is free, run out or already holder's; both SQLite and PostgreSQL then
// count one affected row, and none otherwise.
func (t *sqlTx) TakeLease(name, holder string, now, expires time.Time) (bool, error) {
	q := "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)" +
		" ON CONFLICT (name) DO UPDATE" +
		" SET holder = excluded.holder, expires_at = excluded.expires_at" +
		" WHERE leases.holder = excluded.holder OR leases.expires_at <= ?"
	res, err := t.exec(q, name, holder, nanos(expires), nanos(now))
	if err != nil {
		return false, fmt.Errorf("take lease %q: %w", name, err)
	}

	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("take lease %q: %w", name, err)
	}
	return n == 1, nil
}

// DropLease implements Tx.
func (t *sqlTx) DropLease(name, holder string) error {
	q := "DELETE FROM leases WHERE name = ? AND holder = ?"
	if _, err := t.exec(q, name, holder); err != nil {
		return fmt.Errorf("drop lease %q: %w", name, err)
	}
	return nil
}
