package proxy

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Server is the proxy: its listeners, the inline check and the live
// connections. Its methods are safe for concurrent use.
type Server struct {
	log            *zap.Logger
	rec            Recorder
	now            func() time.Time
	checker        Checker
	sessions       Sessions
	verified       *verifyCache
	getCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	curves         []tls.CurveID
	minVersion     uint16

	upstreams map[string]string // resource name to upstream address
	byHost    map[string]string // lower-case hostname to resource name
	dialer    net.Dialer
	live      registry
	// handshakes bounds the handshakes in progress.
	handshakes *HostGate
	// workers run the handshakes.
	workers *workers

	mu        sync.Mutex
	listeners []*listener // dedicated ones, then the shared one
}

// listener is one listen address and the tls.Config its clients get.
type listener struct {
	addr string
	// resource is the resource of a dedicated listener, "" for the shared one.
	resource string
	tls      *tls.Config
	ln       net.Listener
}

// New checks c and returns a Server that has not opened its listeners yet.
func New(c Config) (*Server, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}

	size := c.VerifyCacheSize
	if size == 0 {
		size = DefaultVerifyCacheSize
	}
	verified, err := newVerifyCache(c.Verifier, size)
	if err != nil {
		return nil, err
	}
	certs, err := newCertCache(c.GetCertificate)
	if err != nil {
		return nil, err
	}

	s := &Server{
		log:            orNop(c.Logger).Named("proxy"),
		rec:            orNopRecorder(c.Recorder),
		now:            c.Now,
		checker:        c.Checker,
		sessions:       c.Sessions,
		verified:       verified,
		getCertificate: certs.getCertificate,
		curves:         c.CurvePreferences,
		minVersion:     cmp.Or(c.MinVersion, tls.VersionTLS13),
		upstreams:      make(map[string]string, len(c.Resources)),
		byHost:         make(map[string]string, len(c.Resources)),
		dialer:         net.Dialer{Timeout: DialTimeout},
		handshakes: NewHostGate(cmp.Or(c.MaxHandshakes, DefaultMaxHandshakes),
			cmp.Or(c.MaxHandshakesPerHost, DefaultMaxHandshakesPerHost)),
		workers: newWorkers(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.addListeners(c)
	return s, nil
}

// addListeners records the resources of c and a listener for each dedicated
// address, then the shared one when a resource uses it.
func (s *Server) addListeners(c Config) {
	for _, r := range c.Resources {
		s.upstreams[r.Name] = r.Upstream
		if r.Hostname != "" {
			s.byHost[strings.ToLower(r.Hostname)] = r.Name
		}
		if r.Listen != "" {
			s.listeners = append(s.listeners, &listener{
				addr: r.Listen, resource: r.Name, tls: s.tlsConfig(r.Name),
			})
		}
	}

	if c.SharedAddr != "" && len(s.byHost) > 0 {
		s.listeners = append(s.listeners, &listener{
			addr: c.SharedAddr, tls: s.tlsConfig(""),
		})
	}
}

// Listen opens every listener. On failure it closes those it opened, and may
// be called again.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.listeners[0].ln != nil {
		return ErrAlreadyListening
	}
	for i, l := range s.listeners {
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			for _, opened := range s.listeners[:i] {
				opened.ln.Close()
				opened.ln = nil
			}
			return fmt.Errorf("listen for %s: %w", l.name(), err)
		}
		l.ln = ln
	}

	for _, l := range s.listeners {
		s.log.Info("listening", zap.String(keyResource, l.resource),
			zap.Stringer(keyAddr, l.ln.Addr()))
	}
	return nil
}

// Addr returns the address of resource's dedicated listener, or nil when it
// has none or Listen has not run.
func (s *Server) Addr(resource string) net.Addr {
	return s.addr(func(l *listener) bool { return l.resource == resource })
}

// SharedAddr returns the address of the shared listener, or nil when there
// is none or Listen has not run.
func (s *Server) SharedAddr() net.Addr {
	return s.addr(func(l *listener) bool { return l.resource == "" })
}

// addr returns the address of the first open listener that match accepts.
func (s *Server) addr(match func(*listener) bool) net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()

	for _, l := range s.listeners {
		if match(l) && l.ln != nil {
			return l.ln.Addr()
		}
	}
	return nil
}

// Serve accepts clients on every listener, opening them first when Listen
// has not run, until ctx ends or a listener fails. It then stops accepting,
// closes every live connection and returns once their goroutines are done:
// nil after ctx ended, the listener's error otherwise. Call it once.
func (s *Server) Serve(ctx context.Context) error {
	err := s.Listen()
	if err != nil && !errors.Is(err, ErrAlreadyListening) {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { closeListeners(s.listeners) })
	defer stop()

	var conns sync.WaitGroup
	errs := make(chan error, len(s.listeners))
	for _, l := range s.listeners {
		go func() {
			err := s.accept(ctx, l, &conns)
			cancel()
			errs <- err
		}()
	}

	var first error
	for range s.listeners {
		first = cmp.Or(first, <-errs)
	}
	conns.Wait()
	s.log.Info("stopped", zap.Error(first))
	return first
}

// accept serves the clients of l until ctx ends. A failing Accept is retried
// with a growing pause, as the failures it meets (out of file descriptors,
// out of memory) pass.
func (s *Server) accept(ctx context.Context, l *listener, conns *sync.WaitGroup) error {
	var pause time.Duration
	for {
		raw, err := l.ln.Accept()
		if err == nil {
			pause = 0
			s.admitToHandshake(ctx, l, raw, conns)
			continue
		}

		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("accept for %s: %w", l.name(), err)
		}
		pause = min(max(2*pause, 5*time.Millisecond), time.Second)
		s.log.Warn("accept failed", zap.String(keyListener, l.name()),
			zap.Duration(keyPause, pause), zap.Error(err))
		if !sleep(ctx, pause) {
			return nil
		}
	}
}

// admitToHandshake serves raw when a handshake slot is free for its
// address, and otherwise closes it at once and counts it as refused busy.
func (s *Server) admitToHandshake(ctx context.Context, l *listener, raw net.Conn,
	conns *sync.WaitGroup) {
	host := RemoteHost(raw)
	if !s.handshakes.Enter(host) {
		raw.Close()
		s.rec.Handshake(l.resource, resultDenied, reasonBusy, 0)
		return
	}
	s.workers.run(ctx, conns, func() { s.handle(ctx, l, raw, conns, host) })
}

// EndGrant closes every live connection of grantID at once. It suits
// grants.Table.Watch: it does not block on the connections' goroutines.
func (s *Server) EndGrant(grantID string) {
	for _, c := range s.live.of(grantID) {
		c.cut(closeGrantEnded)
	}
}

// Live returns the number of live connections of grantID.
func (s *Server) Live(grantID string) int {
	return s.live.count(grantID)
}

// name describes l in logs and errors.
func (l *listener) name() string {
	if l.resource == "" {
		return "shared listener " + l.addr
	}
	return fmt.Sprintf("resource %q listener %s", l.resource, l.addr)
}

// closeListeners closes the open listeners of ls.
func closeListeners(ls []*listener) {
	for _, l := range ls {
		if l.ln != nil {
			l.ln.Close()
		}
	}
}

// sleep waits d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()

	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
