package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/jitgate/jitgate/grants"
)

// Defaults applied when Options leave a value zero.
const (
	// DefaultPollInterval is how often an idle webhook looks for new
	// events in the store.
	DefaultPollInterval = time.Second
	// DefaultAttemptTimeout bounds one delivery attempt, from dialling to
	// the end of the answer.
	DefaultAttemptTimeout = 10 * time.Second
	// DefaultInitialBackoff is the wait before the first retry.
	DefaultInitialBackoff = time.Second
	// DefaultMaxBackoff caps the wait between retries: a receiver that
	// keeps failing is tried about this often for as long as it fails.
	DefaultMaxBackoff = time.Minute
	// DefaultLeaseTTL is how long a webhook's lease lasts unless renewed:
	// how long the other replicas wait before taking over from a holder
	// that stopped without giving it up.
	DefaultLeaseTTL = 30 * time.Second
)

// Options configure a Notifier.
type Options struct {
	// Store holds the audit trail and the webhooks' cursors; required.
	Store grants.Store
	// Reader loads the requests and grants of events; required.
	Reader Reader
	// Webhooks are the receivers; names are unique. None means Run
	// returns at once.
	Webhooks []Webhook
	// Logger receives delivery failures and lifecycle events, already
	// named for the subsystem ("notify"); nil means no logging.
	Logger *zap.Logger
	// Recorder counts delivery attempts; nil means none.
	Recorder Recorder
	// Client posts deliveries; nil means a client of the package's own.
	// Redirects are never followed, whichever the client: a 3xx is a
	// failed attempt.
	Client *http.Client
	// PollInterval, AttemptTimeout, InitialBackoff and MaxBackoff: zero
	// means DefaultPollInterval, DefaultAttemptTimeout,
	// DefaultInitialBackoff and DefaultMaxBackoff.
	PollInterval   time.Duration
	AttemptTimeout time.Duration
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// Holder names this process in the store's leases, one per webhook:
	// only the holder of a webhook's lease delivers it, so replicas that
	// share a store deliver each event once between them. Empty means no
	// leases: this process is the store's only user, as with SQLite.
	Holder string
	// LeaseTTL is how long a lease lasts unless renewed; its holder renews
	// it after a third of that. Zero means DefaultLeaseTTL.
	LeaseTTL time.Duration
	// Now is the clock that timestamps signatures and dates leases; nil
	// means time.Now. Replicas' clocks must agree to well within LeaseTTL.
	Now func() time.Time
}

// env is what every webhook's loop shares.
type env struct {
	store      grants.Store
	reader     Reader
	client     *http.Client
	log        *zap.Logger
	rec        Recorder
	poll       time.Duration
	timeout    time.Duration
	initial    time.Duration
	maxBackoff time.Duration
	holder     string
	leaseTTL   time.Duration
	now        func() time.Time
}

// Notifier runs one delivery loop per webhook. It is safe for concurrent
// use; Run is called once.
type Notifier struct {
	workers []*worker
}

// New checks o and makes sure every webhook has a cursor: a webhook seen
// for the first time starts after the newest event in the store, so it gets
// what happens from now on rather than the whole history.
func New(ctx context.Context, o Options) (*Notifier, error) {
	if o.Store == nil || o.Reader == nil {
		return nil, errors.New("notify: store and reader are required")
	}
	if err := checkWebhooks(o.Webhooks); err != nil {
		return nil, err
	}

	cursors, err := startCursors(ctx, o.Store, o.Webhooks)
	if err != nil {
		return nil, err
	}

	e := newEnv(o)
	n := &Notifier{}
	for _, h := range o.Webhooks {
		c := cursors[h.Name]
		n.workers = append(n.workers, &worker{env: e, hook: h, cursor: c, saved: c})
	}
	return n, nil
}

func checkWebhooks(hooks []Webhook) error {
	names := make(map[string]bool, len(hooks))
	for _, h := range hooks {
		if err := h.check(); err != nil {
			return err
		}
		if names[h.Name] {
			return fmt.Errorf("webhook %s: defined twice", h.Name)
		}
		names[h.Name] = true
	}
	return nil
}

func newEnv(o Options) *env {
	e := &env{
		store:      o.Store,
		reader:     o.Reader,
		client:     noRedirects(o.Client),
		log:        o.Logger,
		rec:        o.Recorder,
		poll:       orDefault(o.PollInterval, DefaultPollInterval),
		timeout:    orDefault(o.AttemptTimeout, DefaultAttemptTimeout),
		initial:    orDefault(o.InitialBackoff, DefaultInitialBackoff),
		maxBackoff: orDefault(o.MaxBackoff, DefaultMaxBackoff),
		holder:     o.Holder,
		leaseTTL:   orDefault(o.LeaseTTL, DefaultLeaseTTL),
		now:        o.Now,
	}
	if e.log == nil {
		e.log = zap.NewNop()
	}
	if e.rec == nil {
		e.rec = nopRecorder{}
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// noRedirects returns a copy of c, or a new client, that never follows a
// redirect: a receiver that moved is an operator's fix, and a delivery must
// not be re-posted somewhere the configuration does not name.
func noRedirects(c *http.Client) *http.Client {
	out := &http.Client{}
	if c != nil {
		*out = *c
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	return out
}

// startCursors returns every webhook's cursor, creating the missing ones at
// the newest event, in one transaction.
func startCursors(ctx context.Context, store grants.Store, hooks []Webhook,
) (map[string]int64, error) {
	cursors := make(map[string]int64, len(hooks))
	if len(hooks) == 0 {
		return cursors, nil
	}

	err := store.Update(ctx, func(tx grants.Tx) error {
		newest, err := tx.Events(1)
		if err != nil {
			return fmt.Errorf("newest event: %w", err)
		}
		for _, h := range hooks {
			if cursors[h.Name], err = startCursor(tx, h.Name, newest); err != nil {
				return err
			}
		}
		return nil
	})
	return cursors, err
}

func startCursor(tx grants.Tx, name string, newest []grants.Event) (int64, error) {
	seq, err := tx.Cursor(name)
	if !errors.Is(err, grants.ErrNotFound) {
		return seq, err
	}

	seq = 0
	if len(newest) > 0 {
		seq = newest[0].Seq
	}
	return seq, tx.SetCursor(name, seq)
}

// Run delivers events to every webhook until ctx ends, then returns once
// every loop has stopped and given up its lease. An attempt in flight when
// ctx ends is abandoned and its event sent again by the next Run, or by the
// replica that takes the lease over.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, w := range n.workers {
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
}
