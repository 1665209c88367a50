package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/notify"
)

// waitLimit only guards against a hung test; no test measures speed.
const waitLimit = 20 * time.Second

// fakeSigner stands in for the CA, which webhooks never see.
type fakeSigner struct{}

func (fakeSigner) SignGrant(_ []byte, g grants.Grant) ([]byte, error) {
	return []byte("certificate of " + g.ID), nil
}

// world is a jitgate's grant logic over a real SQLite file: alice requests,
// bob approves, dave administers.
type world struct {
	t     testing.TB
	path  string
	store *grants.SQLStore
	svc   *grants.Service
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{t: t, path: filepath.Join(t.TempDir(), "jitgate.db")}
	w.open()

	for name, role := range map[string]grants.Role{
		"alice": grants.RoleRequester, "bob": grants.RoleApprover, "dave": grants.RoleAdmin,
	} {
		_, err := w.svc.AddUser(t.Context(), "dave", name, []grants.Role{role})
		require.NoError(t, err)
	}
	return w
}

// open opens the store and a Service on it, closed when the test ends.
func (w *world) open() {
	w.t.Helper()
	store, err := grants.OpenSQLite(w.path)
	require.NoError(w.t, err)
	w.t.Cleanup(func() { store.Close() })

	table, err := grants.NewTable(store, 100)
	require.NoError(w.t, err)
	w.svc, err = grants.NewService(grants.Options{
		Store: store, Signer: fakeSigner{}, Table: table,
		Resources: []grants.Resource{{Name: "db"}, {Name: "web"}},
	})
	require.NoError(w.t, err)
	w.store = store
}

// reopen closes the store and opens it again, as a restarted process would.
func (w *world) reopen() {
	w.t.Helper()
	require.NoError(w.t, w.store.Close())
	w.open()
}

func (w *world) request(resource string) grants.Request {
	w.t.Helper()
	r, err := w.svc.CreateRequest(w.t.Context(), grants.NewRequest{
		User: "alice", Resource: resource, Duration: time.Hour,
		Reason: "fix the " + resource, CSR: []byte("csr"),
	})
	require.NoError(w.t, err)
	return r
}

// options returns notifier options for w with short waits, logging to t.
func (w *world) options(hooks ...notify.Webhook) notify.Options {
	return notify.Options{
		Store: w.store, Reader: w.svc, Webhooks: hooks,
		Logger:       zaptest.NewLogger(w.t).Named("notify"),
		PollInterval: 5 * time.Millisecond, InitialBackoff: 5 * time.Millisecond,
		MaxBackoff: 20 * time.Millisecond, AttemptTimeout: 5 * time.Second,
	}
}

// running is a Notifier's Run in the background.
type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// start makes a Notifier with o and runs it until stop or the test's end.
func start(t testing.TB, o notify.Options) *running {
	t.Helper()
	n, err := notify.New(t.Context(), o)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		n.Run(ctx)
	}()
	t.Cleanup(r.stop)
	return r
}

// stop ends Run and waits for it to return.
func (r *running) stop() {
	r.once.Do(func() {
		r.cancel()
		<-r.done
	})
}

// delivery is one attempt a receiver got.
type delivery struct {
	header  http.Header
	body    []byte
	payload notify.Payload
	// status is what the receiver answered; at is when the attempt came.
	status int
	at     time.Time
}

// hang, as an answer, keeps the attempt waiting until the client gives up.
const hang = 0

// receiver is a webhook endpoint on a loopback port. It checks every
// attempt's signature with notify.Verify when it has a secret, answers
// what answer says (200 when nil), and hands accepted deliveries to got.
type receiver struct {
	t      testing.TB
	srv    *httptest.Server
	secret []byte

	mu       sync.Mutex
	answer   func(attempt int, d delivery) int
	attempts []delivery
	got      chan delivery
	// retryAfter, when set, goes with every answer in a Retry-After header.
	retryAfter string
}

func newReceiver(t testing.TB, secret []byte, useTLS bool) *receiver {
	t.Helper()
	r := &receiver{t: t, secret: secret, got: make(chan delivery, 100)}
	h := http.HandlerFunc(r.serve)
	if useTLS {
		r.srv = httptest.NewTLSServer(h)
	} else {
		r.srv = httptest.NewServer(h)
	}
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	if r.secret != nil {
		err := notify.Verify(r.secret, req.Header.Get(notify.SignatureHeader),
			req.Header.Get(notify.TimestampHeader), body, time.Now())
		if !assert.NoError(r.t, err, "signature") {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
	}

	d := delivery{header: req.Header.Clone(), body: body, at: time.Now()}
	_ = json.Unmarshal(body, &d.payload)
	d.status = r.record(d)
	r.mu.Lock()
	if r.retryAfter != "" {
		w.Header().Set("Retry-After", r.retryAfter)
	}
	r.mu.Unlock()
	if d.status == hang {
		<-req.Context().Done()
		return
	}
	if d.status/100 == 2 {
		r.got <- d
	}
	w.WriteHeader(d.status)
}

func (r *receiver) record(d delivery) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	d.status = http.StatusOK
	if r.answer != nil {
		d.status = r.answer(len(r.attempts)+1, d)
	}
	r.attempts = append(r.attempts, d)
	return d.status
}

// setAnswer replaces how the receiver answers.
func (r *receiver) setAnswer(answer func(attempt int, d delivery) int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = answer
}

// allAttempts returns every attempt so far.
func (r *receiver) allAttempts() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.attempts...)
}

// next waits for the next accepted delivery.
func (r *receiver) next() delivery {
	r.t.Helper()
	select {
	case d := <-r.got:
		return d
	case <-time.After(waitLimit):
		r.t.Fatal("no delivery arrived")
		return delivery{}
	}
}

// webhook returns a JSON webhook named name that posts to r.
func (r *receiver) webhook(name string) notify.Webhook {
	return notify.Webhook{Name: name, URL: r.srv.URL, Secret: r.secret}
}

// fakeRecorder keeps every result as "webhook/result".
type fakeRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (f *fakeRecorder) Delivery(webhook, result string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, webhook+"/"+result)
}

func (f *fakeRecorder) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}
