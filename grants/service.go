package grants

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// Defaults the Service applies when a Resource or Options leaves them zero.
const (
	// DefaultMaxDuration is the longest grant a resource allows unless its
	// MaxDuration says otherwise.
	DefaultMaxDuration = 8 * time.Hour
	// DefaultPendingTTL is how long a request waits for a decision before it
	// expires.
	DefaultPendingTTL = 24 * time.Hour
	// TokenLifetime is how long an enrolment token can be redeemed.
	TokenLifetime = 24 * time.Hour
	// RenewalWindow is how long after enrolment an identity certificate can
	// be renewed without a new token.
	RenewalWindow = 7 * 24 * time.Hour
)

// Resource is what the Service needs to know of a protected resource.
type Resource struct {
	Name string
	// Approvals is how many distinct approvers must approve; zero means 1.
	Approvals int
	// MaxDuration caps a request's duration; zero means DefaultMaxDuration.
	MaxDuration time.Duration
}

// Signer signs grant certificates. The ca package provides one.
type Signer interface {
	// SignGrant returns the DER certificate for the public key of the DER
	// CSR, bound to grant g and valid until g.NotAfter.
	SignGrant(csr []byte, g Grant) ([]byte, error)
}

// Recorder counts state transitions for metrics. Object is "request" or
// "grant", state the state entered.
type Recorder interface {
	Transition(object, state string)
}

// Options configure a Service.
type Options struct {
	Store     Store
	Signer    Signer
	Table     *Table
	Resources []Resource
	// Logger receives lifecycle events; nil means no logging.
	Logger *zap.Logger
	// Recorder counts transitions; nil means none.
	Recorder Recorder
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewRequest is what a requester submits.
type NewRequest struct {
	User     string
	Resource string
	Duration time.Duration
	Reason   string
	// CSR is the DER certificate request for the grant certificate's key.
	CSR []byte
}

// Service runs every change to users, requests and grants, each in one
// transaction with its audit event. It is safe for concurrent use.
type Service struct{}

// NewService checks o and returns a Service.
func NewService(o Options) (*Service, error) { panic("todo") }

// AddUser creates a user and returns a one-time enrolment token, valid for
// TokenLifetime. Only the token's hash is stored.
func (s *Service) AddUser(ctx context.Context, actor, name string, roles []Role) (string, error) {
	panic("todo")
}

// NewToken issues a fresh enrolment token for an existing, enabled user.
func (s *Service) NewToken(ctx context.Context, actor, name string) (string, error) {
	panic("todo")
}

// DisableUser disables a user at once: pending requests are cancelled and
// active grants revoked, and the Table told so their connections close.
func (s *Service) DisableUser(ctx context.Context, actor, name string) (User, error) {
	panic("todo")
}

// User returns one user.
func (s *Service) User(ctx context.Context, name string) (User, error) { panic("todo") }

// Users returns all users.
func (s *Service) Users(ctx context.Context) ([]User, error) { panic("todo") }

// Enrol redeems a token. Inside the same transaction it calls issue with the
// user, so the token is consumed only if issuing the identity certificate
// succeeded.
func (s *Service) Enrol(ctx context.Context, token string, issue func(User) error) (User, error) {
	panic("todo")
}

// CheckRenewal returns the user when they may renew an identity certificate
// now: enabled and within RenewalWindow of enrolment.
func (s *Service) CheckRenewal(ctx context.Context, name string) (User, error) {
	panic("todo")
}

// CreateRequest validates and stores a pending request.
func (s *Service) CreateRequest(ctx context.Context, n NewRequest) (Request, error) {
	panic("todo")
}

// Approve records an approval. When the resource's approval count is
// reached the grant becomes active, starting now, and its certificate is
// signed in the same transaction.
func (s *Service) Approve(ctx context.Context, id, approver, comment string) (Request, error) {
	panic("todo")
}

// Deny ends a pending request as denied.
func (s *Service) Deny(ctx context.Context, id, approver, comment string) (Request, error) {
	panic("todo")
}

// Cancel lets the requester withdraw their own pending request.
func (s *Service) Cancel(ctx context.Context, id, user string) (Request, error) {
	panic("todo")
}

// Request returns one request.
func (s *Service) Request(ctx context.Context, id string) (Request, error) { panic("todo") }

// Requests returns the requests f selects.
func (s *Service) Requests(ctx context.Context, f RequestFilter) ([]Request, error) {
	panic("todo")
}

// Grant returns one grant.
func (s *Service) Grant(ctx context.Context, id string) (Grant, error) { panic("todo") }

// Grants returns the grants f selects.
func (s *Service) Grants(ctx context.Context, f GrantFilter) ([]Grant, error) {
	panic("todo")
}

// Revoke ends an active grant; it returns once the revocation is durable
// and the Table has dropped the grant.
func (s *Service) Revoke(ctx context.Context, id, actor, reason string) (Grant, error) {
	panic("todo")
}

// Release lets a grant's own user hand it back early.
func (s *Service) Release(ctx context.Context, id, user string) (Grant, error) {
	panic("todo")
}

// Sweep expires pending requests older than DefaultPendingTTL and active
// grants past their NotAfter.
func (s *Service) Sweep(ctx context.Context) error { panic("todo") }

// Run calls Sweep every interval until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) { panic("todo") }

// Events returns the newest limit audit events, oldest first.
func (s *Service) Events(ctx context.Context, limit int) ([]Event, error) {
	panic("todo")
}
