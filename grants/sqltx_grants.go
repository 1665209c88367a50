package grants

import (
	"fmt"
	"time"
)

const grantColumns = "id, request_id, user_name, resource, not_before, not_after," +
	" state, ended_at, ended_by, end_reason, certificate, auto_rule, max_sessions," +
	" sessions, idle_timeout, last_active"

func scanGrant(row rowScanner) (Grant, error) {
	var (
		g                          Grant
		notBefore, notAfter, ended int64
		maxSessions, sessions      int64
		idle, lastActive           int64
	)
	err := row.Scan(&g.ID, &g.RequestID, &g.User, &g.Resource, &notBefore, &notAfter,
		&g.State, &ended, &g.EndedBy, &g.EndReason, &g.Certificate, &g.Rule,
		&maxSessions, &sessions, &idle, &lastActive)
	if err != nil {
		return Grant{}, err
	}

	g.NotBefore = fromNanos(notBefore)
	g.NotAfter = fromNanos(notAfter)
	g.EndedAt = fromNanos(ended)
	g.MaxSessions, g.Sessions = int(maxSessions), int(sessions)
	g.IdleTimeout = time.Duration(idle)
	g.LastActive = fromNanos(lastActive)
	return g, nil
}

// Grant implements Tx.
func (t *sqlTx) Grant(id string) (Grant, error) {
	q := "SELECT " + grantColumns + " FROM grants WHERE id = ?"
	g, err := scanGrant(t.queryRow(q, id))
	if err != nil {
		return Grant{}, notFound(err, grantRows, id)
	}
	return g, nil
}

// InsertGrant implements Tx.
func (t *sqlTx) InsertGrant(g Grant) error {
	q := "INSERT INTO grants (" + grantColumns + ")" +
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	return t.insertNew(grantRows, g.ID, q,
		g.ID, g.RequestID, g.User, g.Resource, nanos(g.NotBefore), nanos(g.NotAfter),
		string(g.State), nanos(g.EndedAt), g.EndedBy, g.EndReason,
		orEmpty(g.Certificate), g.Rule, int64(g.MaxSessions), int64(g.Sessions),
		int64(g.IdleTimeout), nanos(g.LastActive))
}

// UpdateGrant implements Tx.
func (t *sqlTx) UpdateGrant(g Grant) error {
	q := "UPDATE grants SET request_id = ?, user_name = ?, resource = ?," +
		" not_before = ?, not_after = ?, state = ?, ended_at = ?, ended_by = ?," +
		" end_reason = ?, certificate = ?, auto_rule = ?, max_sessions = ?," +
		" sessions = ?, idle_timeout = ?, last_active = ? WHERE id = ?"
	return t.updateOne(grantRows, g.ID, q,
		g.RequestID, g.User, g.Resource, nanos(g.NotBefore), nanos(g.NotAfter),
		string(g.State), nanos(g.EndedAt), g.EndedBy, g.EndReason,
		orEmpty(g.Certificate), g.Rule, int64(g.MaxSessions), int64(g.Sessions),
		int64(g.IdleTimeout), nanos(g.LastActive), g.ID)
}

// Grants implements Tx.
func (t *sqlTx) Grants(f GrantFilter) ([]Grant, error) {
	var w where
	if f.User != "" {
		w.add("user_name = ?", f.User)
	}
	if f.Resource != "" {
		w.add("resource = ?", f.Resource)
	}
	in(&w, "state", f.States)
	if !f.EndsBefore.IsZero() {
		w.add("not_after <= ?", f.EndsBefore.UnixNano())
	}
	if !f.EndsAfter.IsZero() {
		w.add("not_after > ?", f.EndsAfter.UnixNano())
	}
	if f.IdleLimited {
		w.conds = append(w.conds, "idle_timeout > 0")
	}

	q := "SELECT " + grantColumns + " FROM grants" + w.String() +
		" ORDER BY not_before, id"
	rows, err := t.query(q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	return collect(rows, scanGrant)
}
