package grants

import (
	"cmp"
	"context"
	"errors"
	"fmt"
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
	// Store, Signer and Table are required.
	Store  Store
	Signer Signer
	// Table is told of every grant that ends, after its commit.
	Table *Table
	// Resources are the resources that can be requested; names are unique.
	Resources []Resource
	// Logger receives lifecycle events, already named for the subsystem
	// ("grants"); nil means no logging.
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

// systemActor is the audit actor of changes nobody asked for, like expiry.
const systemActor = "system"

// Service runs every change to users, requests and grants, each in one
// transaction with its audit event. It does not check that an admin actor
// holds the admin role: the caller authorises those. It is safe for
// concurrent use.
type Service struct {
	store     Store
	signer    Signer
	table     *Table
	resources map[string]Resource
	log       *zap.Logger
	rec       Recorder
	now       func() time.Time
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
		store:     o.Store,
		signer:    o.Signer,
		table:     o.Table,
		resources: resources,
		log:       zap.NewNop(),
		rec:       o.Recorder,
		now:       o.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if o.Logger != nil {
		s.log = o.Logger
	}
	return s, nil
}

// resourceMap checks rs and indexes them by name, applying defaults.
func resourceMap(rs []Resource) (map[string]Resource, error) {
	out := make(map[string]Resource, len(rs))
	for _, r := range rs {
		if err := checkResource(r); err != nil {
			return nil, err
		}
		if _, dup := out[r.Name]; dup {
			return nil, fmt.Errorf("resource %q: defined twice", r.Name)
		}
		r.Approvals = max(r.Approvals, 1)
		r.MaxDuration = cmp.Or(r.MaxDuration, DefaultMaxDuration)
		out[r.Name] = r
	}
	return out, nil
}

func checkResource(r Resource) error {
	switch {
	case r.Name == "":
		return errors.New("resource: name is empty")
	case r.Approvals < 0:
		return fmt.Errorf("resource %q: approvals %d is negative", r.Name, r.Approvals)
	case r.MaxDuration < 0:
		return fmt.Errorf("resource %q: max duration %s is negative",
			r.Name, r.MaxDuration)
	}
	return nil
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
// Table and the Recorder what changed.
func (s *Service) update(ctx context.Context, fn func(Tx, *effects) error) error {
	var fx effects
	err := s.store.Update(ctx, func(tx Tx) error {
		fx = effects{}
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
