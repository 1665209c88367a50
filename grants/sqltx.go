package grants

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// sqlTx is the Tx of an SQLStore.
type sqlTx struct {
	ctx context.Context
	tx  *sql.Tx
	d   *dialect
}

// rowScanner is what *sql.Row and *sql.Rows share.
type rowScanner interface {
	Scan(dest ...any) error
}

func (t *sqlTx) exec(q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, t.d.bind(q), args...)
}

func (t *sqlTx) query(q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, t.d.bind(q), args...)
}

func (t *sqlTx) queryRow(q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, t.d.bind(q), args...)
}

// entity names a table for messages and key lookups.
type entity struct {
	what  string
	table string
	key   string
}

// The tables keyed by one text column.
var (
	userRows    = entity{what: "user", table: "users", key: "name"}
	requestRows = entity{what: "request", table: "requests", key: "id"}
	grantRows   = entity{what: "grant", table: "grants", key: "id"}
)

// exists reports whether a row of e has this key.
func (t *sqlTx) exists(e entity, key string) (bool, error) {
	var one int
	q := "SELECT 1 FROM " + e.table + " WHERE " + e.key + " = ?"
	err := t.queryRow(q, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// insertNew runs insert unless a row of e already has this key, in which
// case it returns ErrConflict. Writers are serialized, so the check cannot
// race.
func (t *sqlTx) insertNew(e entity, key, insert string, args ...any) error {
	taken, err := t.exists(e, key)
	if err != nil {
		return fmt.Errorf("look up %s %q: %w", e.what, key, err)
	}
	if taken {
		return fmt.Errorf("%s %q exists: %w", e.what, key, ErrConflict)
	}

	if _, err := t.exec(insert, args...); err != nil {
		return fmt.Errorf("insert %s %q: %w", e.what, key, err)
	}
	return nil
}

// updateOne runs update and returns ErrNotFound when it changed no row.
func (t *sqlTx) updateOne(e entity, key, update string, args ...any) error {
	res, err := t.exec(update, args...)
	if err != nil {
		return fmt.Errorf("update %s %q: %w", e.what, key, err)
	}

	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update %s %q: %w", e.what, key, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %q: %w", e.what, key, ErrNotFound)
	}
	return nil
}

// notFound turns sql.ErrNoRows into ErrNotFound and adds context.
func notFound(err error, e entity, key string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", e.what, key, ErrNotFound)
	}
	return fmt.Errorf("read %s %q: %w", e.what, key, err)
}

// nanos stores t as unix nanoseconds, the zero time as 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos, in UTC.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// orEmpty keeps NOT NULL byte columns from receiving a nil slice.
func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// where collects the conditions and arguments of a filtered query.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, arg any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, arg)
}

// in adds "column IN (...)" unless values is empty.
func in[S ~string](w *where, column string, values []S) {
	if len(values) == 0 {
		return
	}

	marks := strings.Repeat(", ?", len(values))[2:]
	w.conds = append(w.conds, column+" IN ("+marks+")")
	for _, v := range values {
		w.args = append(w.args, string(v))
	}
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// marshalJSON encodes v for a JSON text column.
func marshalJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode json: %w", err)
	}
	return string(b), nil
}
