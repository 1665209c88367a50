package grants

import (
	"errors"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeSigner returns a made-up certificate and records what it was asked
// to sign; it fails with err when err is set.
type fakeSigner struct {
	mu     sync.Mutex
	err    error
	csrs   [][]byte
	grants []Grant
}

func (f *fakeSigner) SignGrant(csr []byte, g Grant) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()

	if f.err != nil {
		return nil, f.err
	}
	f.csrs = append(f.csrs, csr)
	f.grants = append(f.grants, g)
	return []byte("certificate of " + g.ID), nil
}

func (f *fakeSigner) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

// fakeRecorder keeps every transition as "object/state".
type fakeRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (f *fakeRecorder) Transition(object, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, object+"/"+state)
}

func (f *fakeRecorder) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

// changeLog keeps the Changes a Table watcher saw.
type changeLog struct {
	mu   sync.Mutex
	seen []Change
}

func (c *changeLog) add(ch Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, ch)
}

func (c *changeLog) all() []Change {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Change(nil), c.seen...)
}

// env is a Service over a fresh SQLite store with fakes around it.
type env struct {
	svc     *Service
	store   *SQLStore
	table   *Table
	clock   *fakeClock
	signer  *fakeSigner
	rec     *fakeRecorder
	changes *changeLog
	path    string
}

// testResources are what the Service tests request: db needs one approval
// and allows 8h, prod needs two and allows 1h.
var testResources = []Resource{
	{Name: "db"},
	{Name: "prod", Policy: Policy{Approvals: 2, MaxDuration: time.Hour}},
}

// The users every env starts with.
var testUsers = map[string][]Role{
	"alice":   {RoleRequester},
	"bob":     {RoleApprover},
	"carol":   {RoleApprover},
	"dave":    {RoleAdmin},
	"erin":    {RoleRequester, RoleApprover},
	"mallory": {RoleRequester},
}

const testCSR = "csr der bytes"

func newEnv(tb testing.TB) *env {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "jitgate.db")
	e := &env{
		store:   openSQLite(tb, path),
		clock:   &fakeClock{now: time.Now().UTC().Truncate(time.Second)},
		signer:  &fakeSigner{},
		rec:     &fakeRecorder{},
		changes: &changeLog{},
		path:    path,
	}
	e.start(tb)

	for name, roles := range testUsers {
		_, err := e.svc.AddUser(tb.Context(), "root", name, roles)
		require.NoError(tb, err)
	}
	return e
}

// start makes the Table and Service over e.store.
func (e *env) start(tb testing.TB) {
	tb.Helper()
	table, err := NewTable(e.store, 64)
	require.NoError(tb, err)
	table.Watch(e.changes.add)

	svc, err := NewService(Options{
		Store:     e.store,
		Signer:    e.signer,
		Table:     table,
		Resources: testResources,
		Logger:    zaptest.NewLogger(tb),
		Recorder:  e.rec,
		Now:       e.clock.Now,
	})
	require.NoError(tb, err)
	e.table, e.svc = table, svc
}

// request has user ask for resource for d.
func (e *env) request(tb testing.TB, user, resource string, d time.Duration) Request {
	tb.Helper()
	r, err := e.svc.CreateRequest(tb.Context(), NewRequest{
		User: user, Resource: resource, Duration: d,
		Reason: "deploy the fix", CSR: []byte(testCSR),
	})
	require.NoError(tb, err)
	return r
}

// grant gives alice an active one-hour grant on db, approved by bob.
func (e *env) grant(tb testing.TB) Grant {
	tb.Helper()
	r := e.request(tb, "alice", "db", time.Hour)
	r, err := e.svc.Approve(tb.Context(), r.ID, "bob", "")
	require.NoError(tb, err)

	g, err := e.svc.Grant(tb.Context(), r.GrantID)
	require.NoError(tb, err)
	return g
}

// actions returns the audit actions written so far, oldest first.
func (e *env) actions(tb testing.TB) []string {
	tb.Helper()
	events, err := e.svc.Events(tb.Context(), 0)
	require.NoError(tb, err)

	var out []string
	for _, ev := range events {
		out = append(out, ev.Action)
	}
	return out
}

// eventCount returns how many audit events exist.
func (e *env) eventCount(tb testing.TB) int {
	tb.Helper()
	return len(e.actions(tb))
}

// requireInput asserts err is an *InputError about field.
func requireInput(tb testing.TB, err error, field string) *InputError {
	tb.Helper()
	var in *InputError
	require.ErrorAs(tb, err, &in)
	assert.Equal(tb, field, in.Field)
	return in
}

func TestNewServiceRefuses(t *testing.T) {
	store := openSQLite(t, filepath.Join(t.TempDir(), "jitgate.db"))
	table, err := NewTable(store, 8)
	require.NoError(t, err)
	base := Options{Store: store, Signer: &fakeSigner{}, Table: table}

	tests := []struct {
		name   string
		change func(*Options)
		want   string
	}{
		{"no store", func(o *Options) { o.Store = nil }, "required"},
		{"no signer", func(o *Options) { o.Signer = nil }, "required"},
		{"no table", func(o *Options) { o.Table = nil }, "required"},
		{"unnamed resource", func(o *Options) { o.Resources = []Resource{{}} }, "name"},
		{"twice", func(o *Options) {
			o.Resources = []Resource{{Name: "db"}, {Name: "db"}}
		}, "twice"},
		{"negative approvals", func(o *Options) {
			o.Resources = []Resource{{Name: "db", Policy: Policy{Approvals: -1}}}
		}, "policy approvals"},
		{"negative duration", func(o *Options) {
			o.Resources = []Resource{{Name: "db", Policy: Policy{MaxDuration: -time.Hour}}}
		}, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.change(&o)
			_, err := NewService(o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestIDsAndTokens(t *testing.T) {
	assert.Regexp(t, regexp.MustCompile(`^req_[a-z0-9]{26}$`), newID(RequestIDPrefix))
	assert.Regexp(t, regexp.MustCompile(`^gr_[a-z0-9]{26}$`), newID(GrantIDPrefix))
	assert.NotEqual(t, newID(GrantIDPrefix), newID(GrantIDPrefix))

	token := newToken()
	assert.Regexp(t, regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`), token)
	assert.Len(t, hashToken(token), 32)
}

// errSign is what a failing fake Signer returns.
var errSign = errors.New("signer offline")
