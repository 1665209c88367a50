package grants

import (
	"context"
	"time"
)

// Store keeps users, enrolment tokens, requests, grants and the audit trail.
// Every change runs inside Update, so a state change and its audit event
// commit together or not at all. Implementations are safe for concurrent use.
type Store interface {
	// Update runs fn in one read-write transaction and commits when fn
	// returns nil. The commit is durable when Update returns.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Close releases the store's resources.
	Close() error
}

// Tx is the view of the store inside one transaction. Lookups of missing
// rows return ErrNotFound. A Tx must not be used after its function returns.
type Tx interface {
	// User returns the user with this name.
	User(name string) (User, error)
	// InsertUser adds a user; ErrConflict when the name is taken.
	InsertUser(u User) error
	// UpdateUser replaces the stored user of the same name.
	UpdateUser(u User) error
	// Users returns every user, ordered by name.
	Users() ([]User, error)

	// InsertToken stores the SHA-256 hash of a one-time enrolment token
	// for user and deletes the user's other tokens: only the newest can be
	// redeemed.
	InsertToken(hash []byte, user string, expires time.Time) error
	// TakeToken deletes the token with this hash, and any other token of
	// its user, and returns the user; ErrNotFound when it does not exist or
	// expired before now.
	TakeToken(hash []byte, now time.Time) (string, error)
	// HasToken reports whether a token with this hash is stored, expired
	// or not, without changing anything.
	HasToken(hash []byte) (bool, error)

	// Request returns the request with this ID.
	Request(id string) (Request, error)
	// InsertRequest adds a request; ErrConflict when the ID is taken.
	InsertRequest(r Request) error
	// UpdateRequest replaces the stored request of the same ID, but for
	// its CSR, which never changes once stored.
	UpdateRequest(r Request) error
	// Requests returns the requests f selects, without their CSRs: lists
	// are read often, and a CSR is needed only to sign.
	Requests(f RequestFilter) ([]Request, error)

	// Grant returns the grant with this ID.
	Grant(id string) (Grant, error)
	// InsertGrant adds a grant; ErrConflict when the ID is taken.
	InsertGrant(g Grant) error
	// UpdateGrant replaces the stored grant of the same ID.
	UpdateGrant(g Grant) error
	// Grants returns the grants f selects.
	Grants(f GrantFilter) ([]Grant, error)

	// AppendEvent adds an event to the audit trail, assigning its Seq.
	AppendEvent(e Event) error
	// Events returns the newest limit events, oldest first; all of them
	// when limit is zero or less.
	Events(limit int) ([]Event, error)

	// EventsAfter returns the oldest limit events whose Seq is greater than
	// seq, oldest first; all of them when limit is zero or less. With
	// Cursor and SetCursor it lets a reader work through the audit trail
	// as a durable queue.
	EventsAfter(seq int64, limit int) ([]Event, error)
	// Cursor returns the Seq of the last event the reader called name has
	// handled; ErrNotFound when name has no cursor yet.
	Cursor(name string) (int64, error)
	// SetCursor records seq as the cursor of the reader called name,
	// creating the cursor when it does not exist.
	SetCursor(name string, seq int64) error

	// TakeLease makes holder the holder of the lease called name until
	// expires, and reports whether it now holds it: it does when nobody
	// held the lease, when the last holder's expiry is at or before now, or
	// when holder held it already, which renews it. Otherwise the lease is
	// left as it was. Replicas use leases to share out jobs that only one
	// may do, such as delivering a webhook.
	TakeLease(name, holder string, now, expires time.Time) (bool, error)
	// DropLease ends holder's lease called name, so that another may take
	// it at once; it does nothing when holder does not hold it.
	DropLease(name, holder string) error
}

// RequestFilter selects requests. Zero fields do not filter. Results are
// ordered oldest first, by CreatedAt.
type RequestFilter struct {
	User     string
	Resource string
	States   []RequestState
	// CreatedBefore keeps requests created strictly before it.
	CreatedBefore time.Time
}

// GrantFilter selects grants. Zero fields do not filter. Results are ordered
// oldest first, by NotBefore.
type GrantFilter struct {
	User     string
	Resource string
	States   []GrantState
	// EndsBefore keeps grants whose NotAfter is at or before it.
	EndsBefore time.Time
	// EndsAfter keeps grants whose NotAfter is strictly after it.
	EndsAfter time.Time
	// IdleLimited keeps grants that have an idle timeout.
	IdleLimited bool
}
