package grants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// feedChannel is the PostgreSQL channel on which migration 00004's trigger
// announces every audit event of a grant.
const feedChannel = "jitgate_grants"

// Timings of a Feed.
const (
	// DefaultFeedInitialBackoff is the first wait before reconnecting.
	DefaultFeedInitialBackoff = 100 * time.Millisecond
	// DefaultFeedMaxBackoff caps the wait between attempts to reconnect.
	DefaultFeedMaxBackoff = 10 * time.Second
	// DefaultFeedIdle is how long the listener waits in silence before it
	// checks its connection and reads the audit trail anyway.
	DefaultFeedIdle = 5 * time.Second
	// feedTimeout bounds connecting, listening, each check of the
	// connection and each read of the store.
	feedTimeout = 5 * time.Second
	// feedPage is how many audit events one read of the trail takes.
	feedPage = 500
	// feedAppName shows the listener in pg_stat_activity.
	feedAppName = "jitgate-grant-feed"
)

// FeedOptions configure a Feed.
type FeedOptions struct {
	// DSN names the PostgreSQL database that Store uses, its schema
	// included (search_path); required.
	DSN string
	// Store is read for the audit events and the grants that changed;
	// required.
	Store Store
	// Table is told of every change; required.
	Table *Table
	// Logger receives lifecycle events, already named for the subsystem;
	// nil means no logging.
	Logger *zap.Logger
	// InitialBackoff, MaxBackoff and Idle: zero means
	// DefaultFeedInitialBackoff, DefaultFeedMaxBackoff and DefaultFeedIdle.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	Idle           time.Duration
}

// Feed brings the grant changes that any replica commits to a shared
// PostgreSQL store into this replica's Table, so that a revoke on one
// replica cuts connections on all of them (through Table.Ended and its
// watchers).
//
// A dedicated connection LISTENs on the channel that the store's trigger
// NOTIFYs from inside each transaction that appends a grant event, so the
// announcement leaves when, and only if, the change commits. A notification
// only wakes the Feed: it then reads the audit events after the last one it
// applied, and the current state of their grants, from the store. That one
// path also catches up after every (re)connect, so what was announced while
// the Feed was disconnected is not lost, and a forged NOTIFY cannot change
// what the replica decides. Applying a change twice is harmless.
//
// While the Feed is not listening (before Run's first connection, between
// losing a connection and catching up on a new one, after Run returns) the
// Table distrusts its cache: every check reads the store, and so fails
// closed when the store cannot be read.
type Feed struct {
	conf    *pgx.ConnConfig
	store   Store
	table   *Table
	log     *zap.Logger
	initial time.Duration
	max     time.Duration
	idle    time.Duration

	// seq is the audit event up to which every grant change has been
	// applied; schema is the one whose announcements count. Only Run's
	// goroutine uses them.
	seq    int64
	schema string
	// pid is the listening connection's backend process, 0 while none.
	pid atomic.Uint32
}

// NewFeed checks o, remembers the newest audit event as the point to catch
// up from, and makes o.Table distrust its cache until Run has connected.
// Build it right after the Table, before anything is served: a change
// committed between the two reaches the Table only through the store reads
// of checks, which is all it needs while no connection is live.
func NewFeed(ctx context.Context, o FeedOptions) (*Feed, error) {
	if o.DSN == "" || o.Store == nil || o.Table == nil {
		return nil, errors.New("grant feed: dsn, store and table are required")
	}
	conf, err := pgx.ParseConfig(o.DSN)
	if err != nil {
		return nil, fmt.Errorf("grant feed: %w", err)
	}
	conf.RuntimeParams["application_name"] = feedAppName

	f := &Feed{
		conf: conf, store: o.Store, table: o.Table, log: o.Logger,
		initial: orDefault(o.InitialBackoff, DefaultFeedInitialBackoff),
		max:     orDefault(o.MaxBackoff, DefaultFeedMaxBackoff),
		idle:    orDefault(o.Idle, DefaultFeedIdle),
	}
	if f.log == nil {
		f.log = zap.NewNop()
	}
	if f.seq, err = newestSeq(ctx, o.Store); err != nil {
		return nil, fmt.Errorf("grant feed: %w", err)
	}
	f.table.distrust()
	return f, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// newestSeq returns the Seq of the newest audit event, 0 when there is
// none.
func newestSeq(ctx context.Context, store Store) (int64, error) {
	var newest []Event
	err := store.View(ctx, func(tx Tx) (err error) {
		newest, err = tx.Events(1)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("newest event: %w", err)
	}
	if len(newest) == 0 {
		return 0, nil
	}
	return newest[0].Seq, nil
}

// Listening reports whether the Feed is connected and caught up, so that
// the Table trusts its cache.
func (f *Feed) Listening() bool {
	return f.pid.Load() != 0
}

// Run listens until ctx ends, reconnecting with capped exponential backoff
// whenever the connection fails. It is called once.
func (f *Feed) Run(ctx context.Context) {
	defer f.table.distrust()

	for {
		conn, err := f.reconnect(ctx)
		if err != nil {
			return
		}
		err = f.listen(ctx, conn)
		f.table.distrust()
		f.pid.Store(0)
		f.close(conn)
		if ctx.Err() != nil {
			return
		}
		f.log.Warn("grant feed lost its connection; checks read the store until "+
			"it is back", zap.Error(err))
	}
}

// reconnect connects, listens and catches up, retrying until it succeeds
// or ctx ends.
func (f *Feed) reconnect(ctx context.Context) (*pgx.Conn, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = f.initial, f.max
	warn := func(err error, next time.Duration) {
		f.log.Warn("grant feed cannot connect", zap.Duration(keyRetryIn, next),
			zap.Error(err))
	}
	return backoff.Retry(ctx, func() (*pgx.Conn, error) { return f.connect(ctx) },
		backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0), backoff.WithNotify(warn))
}

// connect opens the listening connection and catches up; from then on the
// Table may trust its cache again.
func (f *Feed) connect(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, feedTimeout)
	defer cancel()

	conn, err := pgx.ConnectConfig(cctx, f.conf)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := f.subscribe(cctx, conn); err != nil {
		f.close(conn)
		return nil, err
	}
	if err := f.catchUp(ctx); err != nil {
		f.close(conn)
		return nil, err
	}

	f.pid.Store(conn.PgConn().PID())
	f.table.trust()
	f.log.Info("grant feed listening", zap.Int64(keySeq, f.seq))
	return conn, nil
}

// subscribe learns the schema of the store's tables and listens. It
// listens before the catch-up reads the trail, so every change is either
// read or announced, if not both.
func (f *Feed) subscribe(ctx context.Context, conn *pgx.Conn) error {
	const q = "SELECT n.nspname FROM pg_class c" +
		" JOIN pg_namespace n ON n.oid = c.relnamespace" +
		" WHERE c.oid = 'events'::regclass"
	if err := conn.QueryRow(ctx, q).Scan(&f.schema); err != nil {
		return fmt.Errorf("find the events table: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+feedChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return nil
}

func (f *Feed) close(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), feedTimeout)
	defer cancel()
	_ = conn.Close(ctx)
}

// listen applies what conn announces until it fails or ctx ends. After
// each quiet spell it checks the connection and reads the trail anyway.
func (f *Feed) listen(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, f.idle)
		n, err := conn.WaitForNotification(wctx)
		cancel()

		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
			err = f.woken(ctx, n.Payload)
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			err = f.quiet(ctx, conn)
		}
		if err != nil {
			return err
		}
	}
}

// announcement is the payload of a notification on feedChannel.
type announcement struct {
	Schema string `json:"schema"`
	Seq    int64  `json:"seq"`
	Action string `json:"action"`
	Grant  string `json:"grant"`
}

// woken catches up unless the announcement is of another schema's store
// or of an event already applied. One that does not parse is read as news.
func (f *Feed) woken(ctx context.Context, payload string) error {
	var a announcement
	if err := json.Unmarshal([]byte(payload), &a); err == nil {
		if a.Schema != f.schema || a.Seq <= f.seq {
			return nil
		}
		f.log.Debug("grant feed heard", zap.Int64(keySeq, a.Seq),
			zap.String(keyGrant, a.Grant))
	}
	return f.catchUp(ctx)
}

// quiet checks that conn still answers, then catches up in case an
// announcement went missing.
func (f *Feed) quiet(ctx context.Context, conn *pgx.Conn) error {
	pctx, cancel := context.WithTimeout(ctx, feedTimeout)
	defer cancel()

	if err := conn.Ping(pctx); err != nil {
		return fmt.Errorf("check connection: %w", err)
	}
	return f.catchUp(ctx)
}

// catchUp applies the grant changes of every audit event after f.seq.
func (f *Feed) catchUp(ctx context.Context) error {
	for {
		page, err := f.readAfter(ctx, f.seq)
		if err != nil {
			return fmt.Errorf("catch up after event %d: %w", f.seq, err)
		}

		for _, c := range page.changes {
			f.table.applyRemote(c)
		}
		if page.events == 0 {
			return nil
		}
		f.seq = page.last
		if page.events < feedPage {
			return nil
		}
	}
}

// trailPage is what one read of the audit trail found.
type trailPage struct {
	// events is how many events were read, last the Seq of the last one.
	events int
	last   int64
	// changes are the current states of the grants those events name.
	changes []Change
}

// readAfter reads, in one transaction, up to feedPage audit events after
// seq and the grants that the grant events among them name.
func (f *Feed) readAfter(ctx context.Context, seq int64) (trailPage, error) {
	ctx, cancel := context.WithTimeout(ctx, feedTimeout)
	defer cancel()

	var p trailPage
	err := f.store.View(ctx, func(tx Tx) error {
		events, err := tx.EventsAfter(seq, feedPage)
		if err != nil || len(events) == 0 {
			return err
		}
		p.events, p.last = len(events), events[len(events)-1].Seq
		p.changes, err = grantChanges(tx, events)
		return err
	})
	return p, err
}

// grantChanges returns the current state of each grant that events name,
// once each, in the order first named.
func grantChanges(tx Tx, events []Event) ([]Change, error) {
	var out []Change
	seen := make(map[string]bool)
	for _, e := range events {
		if !strings.HasPrefix(e.Action, "grant.") || seen[e.Subject] {
			continue
		}
		seen[e.Subject] = true

		g, err := tx.Grant(e.Subject)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Change{GrantID: g.ID, State: g.State, NotAfter: g.NotAfter})
	}
	return out, nil
}

// applyRemote applies a change another replica may have made: an ended
// grant goes through Ended, so that watchers cut its connections; an
// active one, whose conditions may have changed, only leaves the cache.
func (t *Table) applyRemote(c Change) {
	if c.State == GrantActive {
		t.forget(c.GrantID)
		return
	}
	t.Ended(c)
}
