package grants

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

const userColumns = "name, roles, disabled, created_at, enrolled_at, group_names," +
	" identity_since"

func scanUser(row rowScanner) (User, error) {
	var (
		u                        User
		roles, groups            string
		created, enrolled, since int64
	)
	err := row.Scan(&u.Name, &roles, &u.Disabled, &created, &enrolled, &groups, &since)
	if err != nil {
		return User{}, err
	}

	if err := json.Unmarshal([]byte(roles), &u.Roles); err != nil {
		return User{}, fmt.Errorf("decode roles of user %q: %w", u.Name, err)
	}
	if u.Groups, err = decodeStrings(groups); err != nil {
		return User{}, fmt.Errorf("decode groups of user %q: %w", u.Name, err)
	}
	u.CreatedAt = fromNanos(created)
	u.EnrolledAt = fromNanos(enrolled)
	u.IdentitySince = fromNanos(since)
	return u, nil
}

// User implements Tx.
func (t *sqlTx) User(name string) (User, error) {
	q := "SELECT " + userColumns + " FROM users WHERE name = ?"
	u, err := scanUser(t.queryRow(q, name))
	if err != nil {
		return User{}, notFound(err, userRows, name)
	}
	return u, nil
}

// encodeUserLists returns the roles and groups of u as JSON arrays, never
// null.
func encodeUserLists(u User) (roles, groups string, err error) {
	if roles, err = marshalJSON(u.Roles); err != nil {
		return "", "", err
	}
	groups, err = marshalJSON(nonNilStrings(u.Groups))
	return roles, groups, err
}

// decodeStrings reads a JSON array of strings; nil when it is empty.
func decodeStrings(text string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(text), &out); err != nil || len(out) == 0 {
		return nil, err
	}
	return out, nil
}

// nonNilStrings returns s, or an empty slice for nil, so that it encodes
// as [] rather than null.
func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// InsertUser implements Tx.
func (t *sqlTx) InsertUser(u User) error {
	roles, groups, err := encodeUserLists(u)
	if err != nil {
		return err
	}

	q := "INSERT INTO users (" + userColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?)"
	return t.insertNew(userRows, u.Name, q,
		u.Name, roles, u.Disabled, nanos(u.CreatedAt), nanos(u.EnrolledAt), groups,
		nanos(u.IdentitySince))
}

// UpdateUser implements Tx.
func (t *sqlTx) UpdateUser(u User) error {
	roles, groups, err := encodeUserLists(u)
	if err != nil {
		return err
	}

	q := "UPDATE users SET roles = ?, disabled = ?, created_at = ?, enrolled_at = ?," +
		" group_names = ?, identity_since = ? WHERE name = ?"
	return t.updateOne(userRows, u.Name, q,
		roles, u.Disabled, nanos(u.CreatedAt), nanos(u.EnrolledAt), groups,
		nanos(u.IdentitySince), u.Name)
}

// Users implements Tx.
func (t *sqlTx) Users() ([]User, error) {
	rows, err := t.query("SELECT " + userColumns + " FROM users ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return collect(rows, scanUser)
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(rowScanner) (T, error)) ([]T, error) {
	defer rows.Close()

	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("scan row: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read rows: %w", err)
	}
	return out, nil
}

// InsertToken implements Tx.
func (t *sqlTx) InsertToken(hash []byte, user string, expires time.Time) error {
	if err := t.deleteTokens(user); err != nil {
		return err
	}

	q := "INSERT INTO enrol_tokens (hash, user_name, expires_at) VALUES (?, ?, ?)"
	if _, err := t.exec(q, hash, user, nanos(expires)); err != nil {
		return fmt.Errorf("insert enrolment token for %q: %w", user, err)
	}
	return nil
}

// deleteTokens deletes every enrolment token of user.
func (t *sqlTx) deleteTokens(user string) error {
	if _, err := t.exec("DELETE FROM enrol_tokens WHERE user_name = ?", user); err != nil {
		return fmt.Errorf("delete enrolment tokens of %q: %w", user, err)
	}
	return nil
}

// TakeToken implements Tx.
func (t *sqlTx) HasToken(hash []byte) (bool, error) {
	var one int
	err := t.queryRow("SELECT 1 FROM enrol_tokens WHERE hash = ?", hash).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read enrolment token: %w", err)
	}
	return true, nil
}

func (t *sqlTx) TakeToken(hash []byte, now time.Time) (string, error) {
	var (
		user    string
		expires int64
	)
	q := "SELECT user_name, expires_at FROM enrol_tokens WHERE hash = ?"
	err := t.queryRow(q, hash).Scan(&user, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("enrolment token: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read enrolment token: %w", err)
	}

	if err := t.deleteTokens(user); err != nil {
		return "", err
	}
	if now.UnixNano() >= expires {
		return "", fmt.Errorf("enrolment token expired: %w", ErrNotFound)
	}
	return user, nil
}
