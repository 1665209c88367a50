package grants

import (
	"fmt"
	"slices"
)

const eventColumns = "seq, occurred_at, actor, action, subject, detail"

func scanEvent(row rowScanner) (Event, error) {
	var (
		e  Event
		at int64
	)
	err := row.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &e.Detail)
	if err != nil {
		return Event{}, err
	}
	e.At = fromNanos(at)
	return e, nil
}

// AppendEvent implements Tx. Writers are serialized, so the next sequence
// number can be read from the table itself.
func (t *sqlTx) AppendEvent(e Event) error {
	var seq int64
	err := t.queryRow("SELECT COALESCE(MAX(seq), 0) + 1 FROM events").Scan(&seq)
	if err != nil {
		return fmt.Errorf("next event number: %w", err)
	}

	q := "INSERT INTO events (" + eventColumns + ") VALUES (?, ?, ?, ?, ?, ?)"
	_, err = t.exec(q, seq, nanos(e.At), e.Actor, e.Action, e.Subject, e.Detail)
	if err != nil {
		return fmt.Errorf("append event %s %s: %w", e.Action, e.Subject, err)
	}
	return nil
}

// Events implements Tx.
func (t *sqlTx) Events(limit int) ([]Event, error) {
	q := "SELECT " + eventColumns + " FROM events ORDER BY seq DESC"
	var args []any
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}

	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	events, err := collect(rows, scanEvent)
	if err != nil {
		return nil, err
	}
	slices.Reverse(events)
	return events, nil
}
