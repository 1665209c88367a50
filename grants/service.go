package grants

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
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
	// DefaultSweepInterval is how often Run sweeps when given no interval.
	DefaultSweepInterval = time.Minute
	// MaxPendingPerUser is how many requests one user may have waiting for
	// approvers at once; it keeps one requester from flooding the store
	// and the approvers' lists.
	MaxPendingPerUser = 20
)

// Resource is what the Service needs to know of a protected resource: its
// name and its policy.
type Resource struct {
	Name   string
	Policy Policy
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
	// Store, Signer and Table are required.
	Store  Store
	Signer Signer
	// Table is told of every grant that ends, after its commit.
	Table *Table
	// Resources are the resources that can be requested; names are unique.
	// SetResources replaces them later.
	Resources []Resource
	// Logger receives lifecycle events, already named for the subsystem
	// ("grants"); nil means no logging.
	Logger *zap.Logger
	// Recorder counts transitions; nil means none.
	Recorder Recorder
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// IdentityLifetime is how long the identity certificates the CA signs
	// are valid: an admin whose certificate ran out cannot act until
	// given a new token. Zero means DefaultIdentityLifetime.
	IdentityLifetime time.Duration
}

// DefaultIdentityLifetime is the identity certificate lifetime assumed
// when Options leave it out; ca.IdentityLifetime is what the CA signs.
const DefaultIdentityLifetime = 12 * time.Hour

// NewRequest is what a requester submits.
type NewRequest struct {
	User     string
	Resource string
	Duration time.Duration
	Reason   string
	// CSR is the DER certificate request for the grant certificate's key.
	CSR []byte
	// Ticket is a change or incident reference; optional unless the
	// policy has a ticket pattern.
	Ticket string
}

// systemActor is the audit actor of changes nobody asked for, like expiry.
const systemActor = "system"

// Service runs every change to users, requests and grants, each in one
// transaction with its audit event. It does not check that an admin actor
// holds the admin role: the caller authorises those. It is safe for
// concurrent use.
type Service struct {
	store  Store
	signer Signer
	table  *Table
	// resources maps names to resources; SetResources swaps the whole map,
	// so that a request sees one policy set from start to end.
	resources atomic.Pointer[map[string]Resource]
	log       *zap.Logger
	rec       Recorder
	now       func() time.Time
	// identityLifetime is Options.IdentityLifetime.
	identityLifetime time.Duration
}

// NewService checks o and returns a Service.
func NewService(o Options) (*Service, error) {
	if o.Store == nil || o.Signer == nil || o.Table == nil {
		return nil, errors.New("grants service: store, signer and table are required")
	}
	resources, err := resourceMap(o.Resources)
	if err != nil {
		return nil, err
	}

	s := &Service{
		store:  o.Store,
		signer: o.Signer,
		table:  o.Table,
		log:    zap.NewNop(),
		rec:    o.Recorder,
		now:    o.Now,

		identityLifetime: cmp.Or(o.IdentityLifetime, DefaultIdentityLifetime),
	}
	s.resources.Store(&resources)
	if s.now == nil {
		s.now = time.Now
	}
	if o.Logger != nil {
		s.log = o.Logger
	}
	return s, nil
}

// resourceMap checks rs and indexes them by name.
func resourceMap(rs []Resource) (map[string]Resource, error) {
	out := make(map[string]Resource, len(rs))
	for _, r := range rs {
		if r.Name == "" {
			return nil, errors.New("resource: name is empty")
		}
		if _, dup := out[r.Name]; dup {
			return nil, fmt.Errorf("resource %q: defined twice", r.Name)
		}
		if err := r.Policy.Check(); err != nil {
			return nil, fmt.Errorf("resource %q: %w", r.Name, err)
		}
		out[r.Name] = r
	}
	return out, nil
}

// SetResources replaces every resource and its policy at once. It checks
// them all first and changes nothing on error. Pending requests are
// decided under the new policies; grants keep the conditions they were
// issued with.
func (s *Service) SetResources(rs []Resource) error {
	resources, err := resourceMap(rs)
	if err != nil {
		return err
	}

	s.resources.Store(&resources)
	s.log.Info("policies loaded", zap.Int(keyResources, len(resources)))
	return nil
}

// Resources returns the current resources, ordered by name.
func (s *Service) Resources() []Resource {
	m := *s.resources.Load()
	out := make([]Resource, 0, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[name])
	}
	return out
}

// resource returns the current resource of this name.
func (s *Service) resource(name string) (Resource, bool) {
	r, ok := (*s.resources.Load())[name]
	return r, ok
}

// clock returns the current time in UTC, without a monotonic reading.
func (s *Service) clock() time.Time {
	return s.now().UTC()
}

// effects are what a transaction changed, announced only once it commits.
type effects struct {
	requests []RequestState
	grants   []Change
}

func (fx *effects) request(r Request) {
	fx.requests = append(fx.requests, r.State)
}

func (fx *effects) grant(g Grant) {
	c := Change{GrantID: g.ID, State: g.State, NotAfter: g.NotAfter}
	fx.grants = append(fx.grants, c)
}

// update runs fn in one store transaction and, after the commit, tells the
// Table and the Recorder what changed. When ctx carries a Caller, fn runs
// only once the caller is checked in that transaction (see WithCaller).
func (s *Service) update(ctx context.Context, fn func(Tx, *effects) error) error {
	var fx effects
	c, hasCaller := callerOf(ctx)
	err := s.store.Update(ctx, func(tx Tx) error {
		fx = effects{}
		if hasCaller {
			if err := checkCaller(tx, c); err != nil {
				return err
			}
		}
		return fn(tx, &fx)
	})
	if err != nil {
		return err
	}

	s.announce(fx)
	return nil
}

func (s *Service) announce(fx effects) {
	for _, state := range fx.requests {
		s.record("request", string(state))
	}
	for _, c := range fx.grants {
		if c.State != GrantActive {
			s.table.Ended(c)
		}
		s.log.Info("grant state changed",
			zap.String(keyGrant, c.GrantID), zap.String(keyState, string(c.State)))
		s.record("grant", string(c.State))
	}
}

func (s *Service) record(object, state string) {
	if s.rec != nil {
		s.rec.Transition(object, state)
	}
}

// audit appends an event stamped now inside tx.
func (s *Service) audit(tx Tx, actor, action, subject, detail string) error {
	e := Event{
		At:      s.clock(),
		Actor:   actor,
		Action:  action,
		Subject: subject,
		Detail:  detail,
	}
	if err := tx.AppendEvent(e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// Events returns the newest limit audit events, oldest first.
func (s *Service) Events(ctx context.Context, limit int) ([]Event, error) {
	var out []Event
	err := s.store.View(ctx, func(tx Tx) (err error) {
		out, err = tx.Events(limit)
		return err
	})
	return out, err
}
