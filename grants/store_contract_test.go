package grants

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storeOpener opens the same database every time it is called; the store
// is closed when tb ends.
type storeOpener func(tb testing.TB) Store

// storeBackend makes a fresh, empty database and returns its opener.
type storeBackend func(tb testing.TB) storeOpener

// t0 is the base time of the contract tests, in UTC like what stores return.
var t0 = time.Date(2031, 3, 4, 5, 6, 7, 8, time.UTC)

var errBoom = errors.New("boom")

// runStoreContract runs the tests every Store implementation must pass.
func runStoreContract(t *testing.T, fresh storeBackend) {
	cases := []struct {
		name string
		run  func(*testing.T, Store)
	}{
		{"users", testStoreUsers},
		{"tokens", testStoreTokens},
		{"a new token retires the old", testStoreTokenReplaced},
		{"requests", testStoreRequests},
		{"request filters", testStoreRequestFilters},
		{"grants", testStoreGrants},
		{"grant filters", testStoreGrantFilters},
		{"events", testStoreEvents},
		{"outbox", testStoreOutbox},
		{"leases", testStoreLeases},
		{"dropped leases", testStoreDropLease},
		{"rollback", testStoreRollback},
		{"view is read-only", testStoreViewReadOnly},
		{"writers are serialized", testStoreSerializedWriters},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, fresh(t)(t))
		})
	}
	t.Run("durable across reopen", func(t *testing.T) {
		testStoreReopen(t, fresh(t))
	})
}

func update(tb testing.TB, s Store, fn func(Tx) error) {
	tb.Helper()
	require.NoError(tb, s.Update(tb.Context(), fn))
}

func view(tb testing.TB, s Store, fn func(Tx) error) {
	tb.Helper()
	require.NoError(tb, s.View(tb.Context(), fn))
}

func sampleUser(name string) User {
	return User{Name: name, Roles: []Role{RoleRequester}, CreatedAt: t0}
}

func sampleRequest(id, user, resource string, created time.Time) Request {
	return Request{
		ID:        id,
		User:      user,
		Resource:  resource,
		Duration:  time.Hour,
		Reason:    "fix the " + resource,
		CSR:       []byte("csr of " + id),
		State:     RequestPending,
		CreatedAt: created,
		Decisions: []Decision{},
	}
}

func sampleGrant(id string, r Request, from, until time.Time, state GrantState) Grant {
	return Grant{
		ID:          id,
		RequestID:   r.ID,
		User:        r.User,
		Resource:    r.Resource,
		NotBefore:   from,
		NotAfter:    until,
		State:       state,
		Certificate: []byte("cert of " + id),
	}
}

// seedUsers inserts users with the given names.
func seedUsers(tb testing.TB, s Store, names ...string) {
	tb.Helper()
	update(tb, s, func(tx Tx) error {
		for _, n := range names {
			if err := tx.InsertUser(sampleUser(n)); err != nil {
				return err
			}
		}
		return nil
	})
}

func testStoreUsers(t *testing.T, s Store) {
	seedUsers(t, s, "bob", "alice")

	update(t, s, func(tx Tx) error {
		err := tx.InsertUser(sampleUser("alice"))
		assert.ErrorIs(t, err, ErrConflict)
		return nil
	})

	changed := sampleUser("alice")
	changed.Roles = []Role{RoleApprover, RoleAdmin}
	changed.Disabled = true
	changed.EnrolledAt = t0.Add(time.Minute)
	changed.IdentitySince = t0.Add(2 * time.Minute)
	changed.Groups = []string{"db-leads", "oncall"}
	update(t, s, func(tx Tx) error { return tx.UpdateUser(changed) })

	view(t, s, func(tx Tx) error {
		got, err := tx.User("alice")
		require.NoError(t, err)
		assert.Equal(t, changed, got)

		all, err := tx.Users()
		require.NoError(t, err)
		assert.Equal(t, []User{changed, sampleUser("bob")}, all)

		_, err = tx.User("nobody")
		assert.ErrorIs(t, err, ErrNotFound)
		return nil
	})

	err := s.Update(t.Context(), func(tx Tx) error {
		return tx.UpdateUser(sampleUser("nobody"))
	})
	assert.ErrorIs(t, err, ErrNotFound)
}

func testStoreTokens(t *testing.T, s Store) {
	seedUsers(t, s, "alice", "bob")
	live, expired := []byte("live-hash"), []byte("expired-hash")
	update(t, s, func(tx Tx) error {
		require.NoError(t, tx.InsertToken(live, "alice", t0.Add(time.Hour)))
		return tx.InsertToken(expired, "bob", t0)
	})

	has := func(hash []byte) bool {
		var known bool
		require.NoError(t, s.View(t.Context(), func(tx Tx) (err error) {
			known, err = tx.HasToken(hash)
			return err
		}))
		return known
	}
	assert.True(t, has(live))
	assert.True(t, has(expired), "an expired token is still stored")
	assert.False(t, has([]byte("other")))

	take := takeToken(t, s)
	user, err := take(live, t0)
	require.NoError(t, err)
	assert.Equal(t, "alice", user)
	assert.False(t, has(live), "a taken token is gone")

	tests := []struct {
		name string
		hash []byte
		now  time.Time
	}{
		{"taken before", live, t0},
		{"at its expiry", expired, t0},
		{"unknown", []byte("other"), t0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := take(tc.hash, tc.now)
			assert.ErrorIs(t, err, ErrNotFound)
		})
	}
}

// takeToken returns a function that takes a token from s in a
// transaction of its own.
func takeToken(tb testing.TB, s Store) func([]byte, time.Time) (string, error) {
	return func(hash []byte, now time.Time) (string, error) {
		var user string
		err := s.Update(tb.Context(), func(tx Tx) (err error) {
			user, err = tx.TakeToken(hash, now)
			return err
		})
		return user, err
	}
}

// testStoreTokenReplaced checks that a user's new token retires their
// older one and leaves other users' tokens alone.
func testStoreTokenReplaced(t *testing.T, s Store) {
	seedUsers(t, s, "alice", "bob")
	leaked, fresh, bobs := []byte("leaked"), []byte("fresh"), []byte("bobs")
	until := t0.Add(time.Hour)
	update(t, s, func(tx Tx) error {
		require.NoError(t, tx.InsertToken(leaked, "alice", until))
		return tx.InsertToken(bobs, "bob", until)
	})
	update(t, s, func(tx Tx) error { return tx.InsertToken(fresh, "alice", until) })

	take := takeToken(t, s)
	_, err := take(leaked, t0)
	assert.ErrorIs(t, err, ErrNotFound, "the older token was retired")
	user, err := take(fresh, t0)
	require.NoError(t, err)
	assert.Equal(t, "alice", user)
	user, err = take(bobs, t0)
	require.NoError(t, err)
	assert.Equal(t, "bob", user)
}

func testStoreRequests(t *testing.T, s Store) {
	seedUsers(t, s, "alice")
	r := sampleRequest("req_1", "alice", "db", t0)
	update(t, s, func(tx Tx) error { return tx.InsertRequest(r) })

	update(t, s, func(tx Tx) error {
		assert.ErrorIs(t, tx.InsertRequest(r), ErrConflict)
		return nil
	})
	view(t, s, func(tx Tx) error {
		got, err := tx.Request("req_1")
		require.NoError(t, err)
		assert.Equal(t, r, got)
		return nil
	})

	r.State = RequestApproved
	r.DecidedAt = t0.Add(time.Minute)
	r.GrantID = "gr_1"
	r.Ticket = "INC-42"
	r.Rule = "business-hours"
	r.Notes = []string{"approved by rule business-hours"}
	r.Decisions = []Decision{{Approver: "bob", Verdict: VerdictApprove,
		Comment: "ok", At: t0.Add(time.Minute)}}
	listed := r
	listed.CSR = nil
	update(t, s, func(tx Tx) error { return tx.UpdateRequest(listed) })

	view(t, s, func(tx Tx) error {
		got, err := tx.Request("req_1")
		require.NoError(t, err)
		assert.Equal(t, r, got, "an update keeps the CSR")

		all, err := tx.Requests(RequestFilter{})
		require.NoError(t, err)
		assert.Equal(t, []Request{listed}, all, "lists leave the CSR out")

		_, err = tx.Request("req_nope")
		assert.ErrorIs(t, err, ErrNotFound)
		return nil
	})
	err := s.Update(t.Context(), func(tx Tx) error {
		return tx.UpdateRequest(sampleRequest("req_nope", "alice", "db", t0))
	})
	assert.ErrorIs(t, err, ErrNotFound)
}

func testStoreRequestFilters(t *testing.T, s Store) {
	seedUsers(t, s, "alice", "bob")
	r1 := sampleRequest("req_d", "alice", "db", t0)
	r2 := sampleRequest("req_c", "bob", "db", t0.Add(time.Minute))
	r2.State = RequestApproved
	r3 := sampleRequest("req_b", "alice", "ssh", t0.Add(2*time.Minute))
	r4 := sampleRequest("req_a", "alice", "db", t0.Add(3*time.Minute))
	r4.State = RequestDenied
	update(t, s, func(tx Tx) error {
		for _, r := range []Request{r3, r1, r4, r2} {
			require.NoError(t, tx.InsertRequest(r))
		}
		return nil
	})

	tests := []struct {
		name   string
		filter RequestFilter
		want   []string
	}{
		{"all, oldest first", RequestFilter{},
			[]string{"req_d", "req_c", "req_b", "req_a"}},
		{"user", RequestFilter{User: "alice"}, []string{"req_d", "req_b", "req_a"}},
		{"resource", RequestFilter{Resource: "ssh"}, []string{"req_b"}},
		{"one state", RequestFilter{States: []RequestState{RequestPending}},
			[]string{"req_d", "req_b"}},
		{"two states",
			RequestFilter{States: []RequestState{RequestApproved, RequestDenied}},
			[]string{"req_c", "req_a"}},
		{"created strictly before", RequestFilter{CreatedBefore: t0.Add(time.Minute)},
			[]string{"req_d"}},
		{"combined", RequestFilter{User: "alice", Resource: "db",
			States: []RequestState{RequestPending}}, []string{"req_d"}},
		{"nothing", RequestFilter{User: "carol"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			view(t, s, func(tx Tx) error {
				got, err := tx.Requests(tc.filter)
				require.NoError(t, err)
				assert.Equal(t, tc.want, requestIDs(got))
				return nil
			})
		})
	}
}

func requestIDs(rs []Request) []string {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

func grantIDs(gs []Grant) []string {
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.ID)
	}
	return ids
}

func testStoreGrants(t *testing.T, s Store) {
	seedUsers(t, s, "alice")
	r := sampleRequest("req_1", "alice", "db", t0)
	g := sampleGrant("gr_1", r, t0, t0.Add(time.Hour), GrantActive)
	update(t, s, func(tx Tx) error {
		require.NoError(t, tx.InsertRequest(r))
		return tx.InsertGrant(g)
	})

	update(t, s, func(tx Tx) error {
		assert.ErrorIs(t, tx.InsertGrant(g), ErrConflict)
		return nil
	})
	g.State = GrantRevoked
	g.EndedAt = t0.Add(time.Minute)
	g.EndedBy = "dave"
	g.EndReason = "incident"
	g.Rule = "business-hours"
	g.MaxSessions, g.Sessions = 3, 2
	g.IdleTimeout = 15 * time.Minute
	g.LastActive = t0.Add(30 * time.Second)
	update(t, s, func(tx Tx) error { return tx.UpdateGrant(g) })

	view(t, s, func(tx Tx) error {
		got, err := tx.Grant("gr_1")
		require.NoError(t, err)
		assert.Equal(t, g, got)

		_, err = tx.Grant("gr_nope")
		assert.ErrorIs(t, err, ErrNotFound)
		return nil
	})
	err := s.Update(t.Context(), func(tx Tx) error {
		return tx.UpdateGrant(sampleGrant("gr_nope", r, t0, t0, GrantActive))
	})
	assert.ErrorIs(t, err, ErrNotFound)
}

func testStoreGrantFilters(t *testing.T, s Store) {
	seedUsers(t, s, "alice", "bob")
	ra := sampleRequest("req_a", "alice", "db", t0)
	rb := sampleRequest("req_b", "bob", "ssh", t0)
	grants := []Grant{
		sampleGrant("gr_d", ra, t0, t0.Add(time.Hour), GrantActive),
		sampleGrant("gr_c", rb, t0.Add(time.Minute), t0.Add(2*time.Hour), GrantRevoked),
		sampleGrant("gr_b", ra, t0.Add(2*time.Minute), t0.Add(3*time.Hour), GrantActive),
		sampleGrant("gr_a", rb, t0.Add(3*time.Minute), t0.Add(time.Hour), GrantReleased),
	}
	grants[2].IdleTimeout = time.Minute
	update(t, s, func(tx Tx) error {
		require.NoError(t, tx.InsertRequest(ra))
		require.NoError(t, tx.InsertRequest(rb))
		for _, i := range []int{2, 0, 3, 1} {
			require.NoError(t, tx.InsertGrant(grants[i]))
		}
		return nil
	})

	tests := []struct {
		name   string
		filter GrantFilter
		want   []string
	}{
		{"all, oldest first", GrantFilter{}, []string{"gr_d", "gr_c", "gr_b", "gr_a"}},
		{"user", GrantFilter{User: "bob"}, []string{"gr_c", "gr_a"}},
		{"resource", GrantFilter{Resource: "db"}, []string{"gr_d", "gr_b"}},
		{"states", GrantFilter{States: []GrantState{GrantRevoked, GrantReleased}},
			[]string{"gr_c", "gr_a"}},
		{"ends at or before", GrantFilter{EndsBefore: t0.Add(time.Hour)},
			[]string{"gr_d", "gr_a"}},
		{"ends strictly after", GrantFilter{EndsAfter: t0.Add(time.Hour)},
			[]string{"gr_c", "gr_b"}},
		{"combined", GrantFilter{States: []GrantState{GrantActive},
			EndsBefore: t0.Add(90 * time.Minute)}, []string{"gr_d"}},
		{"idle limited", GrantFilter{IdleLimited: true}, []string{"gr_b"}},
		{"nothing", GrantFilter{User: "carol"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			view(t, s, func(tx Tx) error {
				got, err := tx.Grants(tc.filter)
				require.NoError(t, err)
				assert.Equal(t, tc.want, grantIDs(got))
				return nil
			})
		})
	}
}

func testStoreEvents(t *testing.T, s Store) {
	var want []Event
	update(t, s, func(tx Tx) error {
		for i := range 5 {
			e := Event{At: t0.Add(time.Duration(i) * time.Second), Actor: "dave",
				Action: "user.add", Subject: string(rune('a' + i)), Detail: "roles=admin"}
			require.NoError(t, tx.AppendEvent(e))
			e.Seq = int64(i + 1)
			want = append(want, e)
		}
		return nil
	})

	view(t, s, func(tx Tx) error {
		newest, err := tx.Events(3)
		require.NoError(t, err)
		assert.Equal(t, want[2:], newest)

		all, err := tx.Events(0)
		require.NoError(t, err)
		assert.Equal(t, want, all)
		return nil
	})
}

func testStoreRollback(t *testing.T, s Store) {
	err := s.Update(t.Context(), func(tx Tx) error {
		require.NoError(t, tx.InsertUser(sampleUser("alice")))
		require.NoError(t, tx.AppendEvent(Event{At: t0, Action: "user.add"}))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)

	view(t, s, func(tx Tx) error {
		_, err := tx.User("alice")
		assert.ErrorIs(t, err, ErrNotFound)
		events, err := tx.Events(0)
		require.NoError(t, err)
		assert.Empty(t, events)
		return nil
	})
}

func testStoreViewReadOnly(t *testing.T, s Store) {
	err := s.View(t.Context(), func(tx Tx) error {
		return tx.InsertUser(sampleUser("alice"))
	})
	require.Error(t, err)

	view(t, s, func(tx Tx) error {
		_, err := tx.User("alice")
		assert.ErrorIs(t, err, ErrNotFound)
		return nil
	})
}

// testStoreSerializedWriters races writers that each move a pending
// request on only if they still see it pending: exactly one may.
func testStoreSerializedWriters(t *testing.T, s Store) {
	seedUsers(t, s, "alice")
	update(t, s, func(tx Tx) error {
		return tx.InsertRequest(sampleRequest("req_1", "alice", "db", t0))
	})

	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			errs[i] = s.Update(t.Context(), func(tx Tx) error {
				r, err := tx.Request("req_1")
				if err != nil {
					return err
				}
				if r.State != RequestPending {
					return ErrConflict
				}
				// Widen the window in which unserialized writers would
				// both see the request pending.
				time.Sleep(5 * time.Millisecond)
				r.State = RequestApproved
				return tx.UpdateRequest(r)
			})
		})
	}
	wg.Wait()

	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		assert.ErrorIs(t, err, ErrConflict)
	}
	assert.Equal(t, 1, won)
}

func testStoreReopen(t *testing.T, open storeOpener) {
	first := open(t)
	user := sampleUser("alice")
	user.EnrolledAt = t0
	r := sampleRequest("req_1", "alice", "db", t0)
	r.State = RequestApproved
	g := sampleGrant("gr_1", r, t0, t0.Add(time.Hour), GrantRevoked)
	g.EndedAt, g.EndedBy, g.EndReason = t0, "dave", "incident"
	event := Event{Seq: 1, At: t0, Actor: "dave", Action: "grant.revoke", Subject: "gr_1"}
	update(t, first, func(tx Tx) error {
		require.NoError(t, tx.InsertUser(user))
		require.NoError(t, tx.InsertToken([]byte("hash"), "alice", t0.Add(time.Hour)))
		require.NoError(t, tx.InsertRequest(r))
		require.NoError(t, tx.InsertGrant(g))
		return tx.AppendEvent(event)
	})
	require.NoError(t, first.Close())

	again := open(t)
	update(t, again, func(tx Tx) error {
		gotUser, err := tx.User("alice")
		require.NoError(t, err)
		assert.Equal(t, user, gotUser)

		gotRequest, err := tx.Request("req_1")
		require.NoError(t, err)
		assert.Equal(t, r, gotRequest)

		revoked, err := tx.Grants(GrantFilter{States: []GrantState{GrantRevoked}})
		require.NoError(t, err)
		assert.Equal(t, []Grant{g}, revoked)

		events, err := tx.Events(0)
		require.NoError(t, err)
		assert.Equal(t, []Event{event}, events)

		owner, err := tx.TakeToken([]byte("hash"), t0)
		require.NoError(t, err)
		assert.Equal(t, "alice", owner)
		return nil
	})
}
