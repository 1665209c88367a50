package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what a load does with its connections.
type Mode string

// The modes of a load.
const (
	// ModeFull opens a connection per operation with a full handshake, sends
	// one message and reads its echo, then closes.
	ModeFull Mode = "full"
	// ModeResumed is ModeFull with TLS session resumption: every client
	// shares one session cache, so all but the first handshakes resume.
	ModeResumed Mode = "resumed"
	// ModeThroughput streams through each connection in both directions and
	// counts the bytes echoed back.
	ModeThroughput Mode = "throughput"
	// ModeRTT sends one message at a time on each connection and times the
	// round trip of its echo.
	ModeRTT Mode = "rtt"
)

// Bounds and sizes of a load.
const (
	// DefaultMessageSize is the message of an operation, in bytes.
	DefaultMessageSize = 64
	// ChunkSize is what ModeThroughput writes at a time: as io.Copy's buffer.
	ChunkSize = 32 << 10
	// DefaultMaxOps bounds the operations of one load.
	DefaultMaxOps = 10_000_000
	// MaxDuration bounds the warm-up plus the measured time of one load.
	MaxDuration = 10 * time.Minute
	// MaxConns bounds the connections of one load.
	MaxConns = 20_000
	// opTimeout bounds one dial, handshake or round trip.
	opTimeout = 10 * time.Second
	// maxSamples bounds the latencies kept for the percentiles.
	maxSamples = 4 << 20
)

// Load describes one run of the load generator against a server on
// loopback.
type Load struct {
	// Addr is the server's address; it must be a loopback address.
	Addr string
	// Client is the clients' TLS configuration: certificate, server name,
	// roots and key exchanges. Run adds a session cache for ModeResumed and
	// removes it otherwise.
	Client *tls.Config
	Mode   Mode
	// Conns is the number of connections at once, 1 or more.
	Conns int
	// Warmup runs before the measured Duration; what completes in it is
	// not counted.
	Warmup   time.Duration
	Duration time.Duration
	// MaxOps bounds the operations; zero means DefaultMaxOps.
	MaxOps int64
	// MessageSize is the message of an operation; zero means
	// DefaultMessageSize.
	MessageSize int
	// Server is the process whose CPU time is counted; the zero Process
	// counts none.
	Server Process
}

// check validates l and fills in its defaults.
func (l *Load) check() error {
	if err := checkTarget(l.Addr, l.Client); err != nil {
		return err
	}
	switch {
	case l.Conns < 1 || l.Conns > MaxConns:
		return fmt.Errorf("load conns %d: want 1 to %d", l.Conns, MaxConns)
	case l.Duration <= 0 || l.Warmup < 0 || l.Warmup+l.Duration > MaxDuration:
		return fmt.Errorf("load duration %s and warm-up %s: want a total up to %s",
			l.Duration, l.Warmup, MaxDuration)
	case l.MaxOps < 0 || l.MessageSize < 0 || l.MessageSize > ChunkSize:
		return fmt.Errorf("load max ops %d, message size %d: want 0 or more, "+
			"a message up to %d", l.MaxOps, l.MessageSize, ChunkSize)
	}

	l.MaxOps = cmp0(l.MaxOps, DefaultMaxOps)
	l.MessageSize = cmp0(l.MessageSize, DefaultMessageSize)
	l.Client = l.Client.Clone()
	l.Client.ClientSessionCache = nil
	if l.Mode == ModeResumed {
		l.Client.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	}
	return nil
}

// checkTarget refuses an address off loopback and a missing client config.
func checkTarget(addr string, client *tls.Config) error {
	switch {
	case !loopback(addr):
		return fmt.Errorf("load address %q: want a loopback ip:port", addr)
	case client == nil:
		return errors.New("load: no client tls config")
	}
	return nil
}

// cmp0 returns v, or def when v is zero.
func cmp0[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Run runs l and returns what was measured.
func Run(ctx context.Context, l Load) (Result, error) {
	if err := l.check(); err != nil {
		return Result{}, err
	}
	work, ok := workers[l.Mode]
	if !ok {
		return Result{}, fmt.Errorf("load mode %q: want full, resumed, "+
			"throughput or rtt", l.Mode)
	}

	r := newRunner(l)
	ctx, cancel := context.WithDeadline(ctx, r.to)
	defer cancel()

	var wg sync.WaitGroup
	for range l.Conns {
		wg.Go(func() { work(r, ctx) })
	}
	cpu, err := r.sampleCPU(ctx)
	wg.Wait()
	if err != nil {
		return Result{}, err
	}
	return r.result(cpu), nil
}

// workers are the loops of each mode, run once per connection.
var workers = map[Mode]func(*runner, context.Context){
	ModeFull:       (*runner).handshakes,
	ModeResumed:    (*runner).handshakes,
	ModeThroughput: (*runner).stream,
	ModeRTT:        (*runner).roundTrips,
}

// runner is the state of one Run shared by its workers. It is safe for
// concurrent use.
type runner struct {
	load     Load
	from, to time.Time

	taken    atomic.Int64
	ops      atomic.Int64
	resumed  atomic.Int64
	bytes    atomic.Int64
	errs     atomic.Int64
	firstErr atomic.Pointer[error]

	mu        sync.Mutex
	latencies []time.Duration
}

func newRunner(l Load) *runner {
	from := time.Now().Add(l.Warmup)
	return &runner{load: l, from: from, to: from.Add(l.Duration)}
}

// sampleCPU returns the server's CPU seconds between from and to, or
// between from and the end of ctx when it ends early.
func (r *runner) sampleCPU(ctx context.Context) (float64, error) {
	if !sleepUntil(ctx, r.from) {
		return 0, fmt.Errorf("load ended in its warm-up: %w", ctx.Err())
	}
	start, err := r.load.Server.CPU()
	if err != nil {
		return 0, err
	}
	<-ctx.Done()
	end, err := r.load.Server.CPU()
	return end - start, err
}

// sleepUntil waits until t or the end of ctx, and reports whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()

	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// take reserves one operation and reports whether the bound allows it.
func (r *runner) take() bool {
	return r.taken.Add(1) <= r.load.MaxOps
}

// counts reports whether something that ended at t is inside the measured
// window.
func (r *runner) counts(t time.Time) bool {
	return !t.Before(r.from) && !t.After(r.to)
}

// done records one operation that started at start and ended now.
func (r *runner) done(ctx context.Context, start time.Time, resumed bool, err error,
	lat *[]time.Duration) {
	now := time.Now()
	if ctx.Err() != nil || !r.counts(now) {
		return
	}
	if err != nil {
		r.fail(err)
		return
	}

	r.ops.Add(1)
	if resumed {
		r.resumed.Add(1)
	}
	if len(*lat) < maxSamples/r.load.Conns {
		*lat = append(*lat, now.Sub(start))
	}
}

// fail counts an error and keeps the first.
func (r *runner) fail(err error) {
	r.errs.Add(1)
	r.firstErr.CompareAndSwap(nil, &err)
}

// keep adds a worker's latencies to the run's.
func (r *runner) keep(lat []time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()

	r.latencies = append(r.latencies, lat...)
}

// handshakes opens, uses and closes one connection per operation.
func (r *runner) handshakes(ctx context.Context) {
	msg, buf := message(r.load.MessageSize), make([]byte, r.load.MessageSize)
	var lat []time.Duration
	for ctx.Err() == nil && r.take() {
		start := time.Now()
		resumed, err := r.once(ctx, msg, buf)
		r.done(ctx, start, resumed, err, &lat)
	}
	r.keep(lat)
}

// once dials, handshakes, echoes msg and closes, and reports whether the
// session was resumed.
func (r *runner) once(ctx context.Context, msg, buf []byte) (bool, error) {
	c, err := r.dial(ctx)
	if err != nil {
		return false, err
	}
	defer c.Close()

	if err := echoOnce(c, msg, buf); err != nil {
		return false, err
	}
	return c.ConnectionState().DidResume, nil
}

// dial opens a TLS connection to the server and completes its handshake.
func (r *runner) dial(ctx context.Context) (*tls.Conn, error) {
	d := tls.Dialer{
		NetDialer: &net.Dialer{Timeout: opTimeout},
		Config:    r.load.Client,
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()

	c, err := d.DialContext(ctx, "tcp", r.load.Addr)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	return c.(*tls.Conn), nil
}

// echoOnce writes msg to c and reads its echo into buf.
func echoOnce(c net.Conn, msg, buf []byte) error {
	if err := c.SetDeadline(time.Now().Add(opTimeout)); err != nil {
		return err
	}
	if _, err := c.Write(msg); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if _, err := io.ReadFull(c, buf); err != nil {
		return fmt.Errorf("read echo: %w", err)
	}
	return nil
}

// roundTrips opens one connection and times one echo after another on it.
func (r *runner) roundTrips(ctx context.Context) {
	c, err := r.dial(ctx)
	if err != nil {
		r.done(ctx, time.Now(), false, err, nil)
		return
	}
	defer c.Close()

	msg, buf := message(r.load.MessageSize), make([]byte, r.load.MessageSize)
	var lat []time.Duration
	for ctx.Err() == nil && r.take() {
		start := time.Now()
		err := echoOnce(c, msg, buf)
		r.done(ctx, start, false, err, &lat)
		if err != nil {
			break
		}
	}
	r.keep(lat)
}

// stream writes chunks to one connection and counts what comes back.
func (r *runner) stream(ctx context.Context) {
	c, err := r.dial(ctx)
	if err != nil {
		r.done(ctx, time.Now(), false, err, nil)
		return
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()

	go writeUntilError(c, message(ChunkSize))
	buf := make([]byte, ChunkSize)
	for {
		n, err := c.Read(buf)
		if r.counts(time.Now()) {
			r.bytes.Add(int64(n))
		}
		if err != nil {
			return
		}
	}
}

// writeUntilError writes chunk to c again and again until a write fails.
func writeUntilError(c net.Conn, chunk []byte) {
	for {
		if _, err := c.Write(chunk); err != nil {
			return
		}
	}
}

// message returns n bytes of printable text.
func message(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}
