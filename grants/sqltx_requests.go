package grants

import (
	"encoding/json"
	"fmt"
	"time"
)

// listedColumns are the columns of a request that lists read: all but the
// CSR, which is the bulk of a row and is needed only to sign.
const listedColumns = "id, user_name, resource, duration, reason, state," +
	" created_at, decided_at, decisions, grant_id, ticket, auto_rule, notes"

// requestColumns are all the columns of a request, the CSR last.
const requestColumns = listedColumns + ", csr"

// scanRequest reads a row of requestColumns.
func scanRequest(row rowScanner) (Request, error) {
	return scanRequestRow(row, true)
}

// scanListedRequest reads a row of listedColumns; CSR is left nil.
func scanListedRequest(row rowScanner) (Request, error) {
	return scanRequestRow(row, false)
}

func scanRequestRow(row rowScanner, withCSR bool) (Request, error) {
	var (
		r                Request
		duration         int64
		created, decided int64
		decisions, notes string
	)
	dest := []any{&r.ID, &r.User, &r.Resource, &duration, &r.Reason, &r.State,
		&created, &decided, &decisions, &r.GrantID, &r.Ticket, &r.Rule, &notes}
	if withCSR {
		dest = append(dest, &r.CSR)
	}
	err := row.Scan(dest...)
	if err != nil {
		return Request{}, err
	}

	if err := json.Unmarshal([]byte(decisions), &r.Decisions); err != nil {
		return Request{}, fmt.Errorf("decode decisions of request %s: %w", r.ID, err)
	}
	if r.Notes, err = decodeStrings(notes); err != nil {
		return Request{}, fmt.Errorf("decode notes of request %s: %w", r.ID, err)
	}
	r.Duration = time.Duration(duration)
	r.CreatedAt = fromNanos(created)
	r.DecidedAt = fromNanos(decided)
	return r, nil
}

// encodeDecisions stores decisions as a JSON array with UTC times, never
// null.
func encodeDecisions(ds []Decision) (string, error) {
	out := make([]Decision, len(ds))
	for i, d := range ds {
		d.At = d.At.UTC()
		out[i] = d
	}
	return marshalJSON(out)
}

// Request implements Tx.
func (t *sqlTx) Request(id string) (Request, error) {
	q := "SELECT " + requestColumns + " FROM requests WHERE id = ?"
	r, err := scanRequest(t.queryRow(q, id))
	if err != nil {
		return Request{}, notFound(err, requestRows, id)
	}
	return r, nil
}

// encodeRequestLists returns the decisions and notes of r as JSON arrays.
func encodeRequestLists(r Request) (decisions, notes string, err error) {
	if decisions, err = encodeDecisions(r.Decisions); err != nil {
		return "", "", err
	}
	notes, err = marshalJSON(nonNilStrings(r.Notes))
	return decisions, notes, err
}

// InsertRequest implements Tx.
func (t *sqlTx) InsertRequest(r Request) error {
	decisions, notes, err := encodeRequestLists(r)
	if err != nil {
		return err
	}

	q := "INSERT INTO requests (" + requestColumns + ")" +
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	return t.insertNew(requestRows, r.ID, q,
		r.ID, r.User, r.Resource, int64(r.Duration), r.Reason,
		string(r.State), nanos(r.CreatedAt), nanos(r.DecidedAt), decisions, r.GrantID,
		r.Ticket, r.Rule, notes, orEmpty(r.CSR))
}

// UpdateRequest implements Tx.
func (t *sqlTx) UpdateRequest(r Request) error {
	decisions, notes, err := encodeRequestLists(r)
	if err != nil {
		return err
	}

	q := "UPDATE requests SET user_name = ?, resource = ?, duration = ?, reason = ?," +
		" state = ?, created_at = ?, decided_at = ?, decisions = ?," +
		" grant_id = ?, ticket = ?, auto_rule = ?, notes = ? WHERE id = ?"
	return t.updateOne(requestRows, r.ID, q,
		r.User, r.Resource, int64(r.Duration), r.Reason,
		string(r.State), nanos(r.CreatedAt), nanos(r.DecidedAt), decisions,
		r.GrantID, r.Ticket, r.Rule, notes, r.ID)
}

// Requests implements Tx.
func (t *sqlTx) Requests(f RequestFilter) ([]Request, error) {
	var w where
	if f.User != "" {
		w.add("user_name = ?", f.User)
	}
	if f.Resource != "" {
		w.add("resource = ?", f.Resource)
	}
	in(&w, "state", f.States)
	if !f.CreatedBefore.IsZero() {
		w.add("created_at < ?", f.CreatedBefore.UnixNano())
	}

	q := "SELECT " + listedColumns + " FROM requests" + w.String() +
		" ORDER BY created_at, id"
	rows, err := t.query(q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return collect(rows, scanListedRequest)
}
