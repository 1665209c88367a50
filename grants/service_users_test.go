package grants

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddUser(t *testing.T) {
	tests := []struct {
		name    string
		user    string
		roles   []Role
		field   string
		wantErr error
	}{
		{name: "ok", user: "frank.o-k_1", roles: []Role{RoleApprover, RoleApprover}},
		{name: "empty name", user: "", roles: []Role{RoleRequester}, field: "name"},
		{name: "upper case", user: "Frank", roles: []Role{RoleRequester}, field: "name"},
		{name: "leading dot", user: ".frank", roles: []Role{RoleRequester},
			field: "name"},
		{name: "space", user: "fr ank", roles: []Role{RoleRequester}, field: "name"},
		{name: "64 chars", user: strings.Repeat("f", 64), roles: []Role{RoleRequester},
			field: "name"},
		{name: "no roles", user: "frank", field: "roles"},
		{name: "unknown role", user: "frank", roles: []Role{"root"}, field: "roles"},
		{name: "duplicate", user: "alice", roles: []Role{RoleRequester},
			wantErr: ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.eventCount(t)

			token, err := e.svc.AddUser(t.Context(), "dave", tc.user, tc.roles)
			switch {
			case tc.field != "":
				requireInput(t, err, tc.field)
			case tc.wantErr != nil:
				require.ErrorIs(t, err, tc.wantErr)
			default:
				require.NoError(t, err)
				assert.NotEmpty(t, token)
				u, err := e.svc.User(t.Context(), tc.user)
				require.NoError(t, err)
				assert.Equal(t, []Role{RoleApprover}, u.Roles)
				assert.Equal(t, e.clock.Now(), u.CreatedAt)
				assert.Equal(t, "user.add", e.actions(t)[before])
				return
			}
			assert.Equal(t, before, e.eventCount(t), "a refused AddUser wrote an event")
		})
	}
}

func TestTokenStoredOnlyAsHash(t *testing.T) {
	e := newEnv(t)
	token, err := e.svc.AddUser(t.Context(), "dave", "frank", []Role{RoleRequester})
	require.NoError(t, err)
	require.NoError(t, e.store.Close())

	for _, name := range []string{e.path, e.path + "-wal"} {
		data, err := os.ReadFile(name)
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		assert.NotContains(t, string(data), token, name)
		assert.Contains(t, string(data), string(hashToken(token)), name)
	}
}

func TestEnrol(t *testing.T) {
	e := newEnv(t)
	token, err := e.svc.AddUser(t.Context(), "dave", "frank", []Role{RoleRequester})
	require.NoError(t, err)

	_, err = e.svc.Enrol(t.Context(), token, func(User) error { return errSign })
	require.ErrorIs(t, err, errSign)
	u, err := e.svc.User(t.Context(), "frank")
	require.NoError(t, err)
	assert.True(t, u.EnrolledAt.IsZero(), "a failed issue must not enrol")

	e.clock.Advance(time.Minute)
	var issued User
	u, err = e.svc.Enrol(t.Context(), token, func(u User) error {
		issued = u
		return nil
	})
	require.NoError(t, err, "the token must survive a failed issue")
	assert.Equal(t, e.clock.Now(), u.EnrolledAt)
	assert.Equal(t, u, issued)
	assert.Equal(t, []string{"user.enrol"}, e.actions(t)[len(testUsers)+1:])

	_, err = e.svc.Enrol(t.Context(), token, func(User) error { return nil })
	assert.ErrorIs(t, err, ErrNotFound, "a token is good once")
}

func TestEnrolRefuses(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(testing.TB, *env, string)
		wantErr error
	}{
		{"expired token", func(_ testing.TB, e *env, _ string) {
			e.clock.Advance(TokenLifetime)
		}, ErrNotFound},
		{"disabled user", func(tb testing.TB, e *env, _ string) {
			_, err := e.svc.DisableUser(tb.Context(), "dave", "frank")
			require.NoError(tb, err)
		}, ErrForbidden},
		{"used token", func(tb testing.TB, e *env, token string) {
			_, err := e.svc.Enrol(tb.Context(), token, func(User) error { return nil })
			require.NoError(tb, err)
		}, ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			roles := []Role{RoleRequester}
			token, err := e.svc.AddUser(t.Context(), "dave", "frank", roles)
			require.NoError(t, err)
			tc.prepare(t, e, token)

			called := false
			_, err = e.svc.Enrol(t.Context(), token, func(User) error {
				called = true
				return nil
			})
			require.ErrorIs(t, err, tc.wantErr)
			assert.False(t, called, "issue ran for a refused enrolment")
		})
	}
}

func TestNewToken(t *testing.T) {
	e := newEnv(t)
	token, err := e.svc.NewToken(t.Context(), "dave", "alice")
	require.NoError(t, err)

	u, err := e.svc.Enrol(t.Context(), token, func(User) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, "alice", u.Name)

	_, err = e.svc.NewToken(t.Context(), "dave", "nobody")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = e.svc.DisableUser(t.Context(), "dave", "alice")
	require.NoError(t, err)
	_, err = e.svc.NewToken(t.Context(), "dave", "alice")
	assert.ErrorIs(t, err, ErrForbidden)
}

// TestNewTokenRetiresTheOldOne checks that an admin who issues a new
// token because the first one leaked leaves the leaked one worthless.
func TestNewTokenRetiresTheOldOne(t *testing.T) {
	e := newEnv(t)
	leaked, err := e.svc.AddUser(t.Context(), "dave", "gina", []Role{RoleRequester})
	require.NoError(t, err)
	fresh, err := e.svc.NewToken(t.Context(), "dave", "gina")
	require.NoError(t, err)

	_, err = e.svc.Enrol(t.Context(), leaked, func(User) error { return nil })
	require.ErrorIs(t, err, ErrNotFound)
	u, err := e.svc.Enrol(t.Context(), fresh, func(User) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, "gina", u.Name)
}

// TestNewTokenEndsWhatTheOldKeyCouldDo checks that reissuing a token, as
// for a lost laptop, revokes the user's grants and cancels their pending
// requests, whose keys were kept beside the old identity key.
func TestNewTokenEndsWhatTheOldKeyCouldDo(t *testing.T) {
	e := newEnv(t)
	enrolAlice(t, e)
	g := e.grant(t)
	pending := e.request(t, "alice", "db", time.Hour)
	e.clock.Advance(time.Minute)

	_, err := e.svc.NewToken(t.Context(), "dave", "alice")
	require.NoError(t, err)

	ended, err := e.svc.Grant(t.Context(), g.ID)
	require.NoError(t, err)
	assert.Equal(t, GrantRevoked, ended.State)
	assert.Equal(t, "identity retired by a new enrolment token", ended.EndReason)
	assert.ErrorIs(t, e.table.Check(g.ID, "alice", "db", e.clock.Now()), ErrGrantRevoked)
	r, err := e.svc.Request(t.Context(), pending.ID)
	require.NoError(t, err)
	assert.Equal(t, RequestCancelled, r.State)
}

// enrolAlice gives alice a new token, enrols her and returns when her
// identity certificate was issued.
func enrolAlice(tb testing.TB, e *env) time.Time {
	tb.Helper()
	return enrolUser(tb, e, "alice")
}

// enrolUser gives name a new token, enrols them and returns when their
// identity certificate was issued.
func enrolUser(tb testing.TB, e *env, name string) time.Time {
	tb.Helper()
	token, err := e.svc.NewToken(tb.Context(), "dave", name)
	require.NoError(tb, err)
	u, err := e.svc.Enrol(tb.Context(), token, func(User) error { return nil })
	require.NoError(tb, err)
	return u.IdentitySince
}

func TestRenew(t *testing.T) {
	tests := []struct {
		name    string
		enrol   bool
		advance time.Duration
		disable bool
		early   time.Duration // how much earlier the renewed certificate was issued
		wantErr string
	}{
		{name: "fresh", enrol: true},
		{name: "last moment", enrol: true, advance: RenewalWindow - time.Nanosecond},
		{name: "window ended", enrol: true, advance: RenewalWindow,
			wantErr: "renewal window ended"},
		{name: "never enrolled", wantErr: "has not enrolled"},
		{name: "disabled", enrol: true, disable: true, wantErr: "is disabled"},
		{name: "retired certificate", enrol: true, early: time.Second,
			wantErr: "was retired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			var issued time.Time
			if tc.enrol {
				issued = enrolAlice(t, e)
			}
			if tc.disable {
				_, err := e.svc.DisableUser(t.Context(), "dave", "alice")
				require.NoError(t, err)
			}
			e.clock.Advance(tc.advance)
			before := e.eventCount(t)

			called := false
			u, err := e.svc.Renew(t.Context(), "alice", issued.Add(-tc.early),
				func(User) error { called = true; return nil })
			if tc.wantErr != "" {
				require.ErrorIs(t, err, ErrForbidden)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.False(t, called, "issue ran for a refused renewal")
				assert.Equal(t, before, e.eventCount(t))
				return
			}
			require.NoError(t, err)
			assert.True(t, u.IdentitySince.After(issued))
			assert.Equal(t, "user.renew", e.actions(t)[before])
		})
	}
}

// TestNewIdentityRetiresTheOld follows a stolen identity certificate: its
// renewal retires the one it renewed, even within the same second, and
// the owner's new token and enrolment retire the thief's.
func TestNewIdentityRetiresTheOld(t *testing.T) {
	e := newEnv(t)
	issue := func(User) error { return nil }
	stolen := enrolAlice(t, e)

	thief, err := e.svc.Renew(t.Context(), "alice", stolen, issue)
	require.NoError(t, err)
	_, err = e.svc.Renew(t.Context(), "alice", stolen, issue)
	require.ErrorIs(t, err, ErrForbidden, "renewed in the same second, still retired")

	token, err := e.svc.NewToken(t.Context(), "dave", "alice")
	require.NoError(t, err)
	u, err := e.svc.User(t.Context(), "alice")
	require.NoError(t, err)
	assert.True(t, u.IdentityRetired(thief.IdentitySince), "a new token retires")
	_, err = e.svc.Renew(t.Context(), "alice", thief.IdentitySince, issue)
	require.ErrorIs(t, err, ErrForbidden)

	owner, err := e.svc.Enrol(t.Context(), token, issue)
	require.NoError(t, err)
	assert.False(t, owner.IdentityRetired(owner.IdentitySince))
	assert.True(t, owner.IdentityRetired(thief.IdentitySince))
	assert.Equal(t, []string{"user.token", "user.enrol", "user.renew", "user.token",
		"user.enrol"}, e.actions(t)[len(testUsers):])
}

func TestDisableUserCascades(t *testing.T) {
	e := newEnv(t)
	g := e.grant(t)
	pending := e.request(t, "alice", "db", time.Hour)
	other := e.request(t, "mallory", "db", time.Hour)
	e.clock.Advance(time.Minute)

	u, err := e.svc.DisableUser(t.Context(), "dave", "alice")
	require.NoError(t, err)
	assert.True(t, u.Disabled)

	r, err := e.svc.Request(t.Context(), pending.ID)
	require.NoError(t, err)
	assert.Equal(t, RequestCancelled, r.State)
	assert.Equal(t, e.clock.Now(), r.DecidedAt)
	r, err = e.svc.Request(t.Context(), other.ID)
	require.NoError(t, err)
	assert.Equal(t, RequestPending, r.State, "another user's request was touched")

	ended, err := e.svc.Grant(t.Context(), g.ID)
	require.NoError(t, err)
	assert.Equal(t, GrantRevoked, ended.State)
	assert.Equal(t, "dave", ended.EndedBy)
	assert.Equal(t, "user disabled", ended.EndReason)
	assert.Equal(t, e.clock.Now(), ended.EndedAt)

	assert.ErrorIs(t, e.table.Check(g.ID, "alice", "db", e.clock.Now()), ErrGrantRevoked)
	assert.Contains(t, e.changes.all(),
		Change{GrantID: g.ID, State: GrantRevoked, NotAfter: g.NotAfter})
	actions := e.actions(t)
	assert.Equal(t, []string{"user.disable", "request.cancel", "grant.revoke"},
		actions[len(actions)-3:])

	_, err = e.svc.DisableUser(t.Context(), "dave", "alice")
	assert.ErrorIs(t, err, ErrConflict)
	_, err = e.svc.DisableUser(t.Context(), "dave", "nobody")
	assert.ErrorIs(t, err, ErrNotFound)
}

// TestTheLastAdminStays checks that the last admin who can act can be
// neither demoted nor disabled, and that either works once another admin
// can act.
func TestTheLastAdminStays(t *testing.T) {
	e := newEnv(t)
	enrolUser(t, e, "dave")
	_, err := e.svc.UpdateUser(t.Context(), "dave", "dave",
		UserChange{Roles: []Role{RoleRequester}})
	require.ErrorIs(t, err, ErrConflict)
	assert.ErrorContains(t, err, "last admin who can act now")
	_, err = e.svc.DisableUser(t.Context(), "dave", "dave")
	require.ErrorIs(t, err, ErrConflict)
	u, err := e.svc.User(t.Context(), "dave")
	require.NoError(t, err)
	assert.Equal(t, []Role{RoleAdmin}, u.Roles, "a refused change changed the user")
	assert.False(t, u.Disabled)

	_, err = e.svc.UpdateUser(t.Context(), "dave", "bob",
		UserChange{Roles: []Role{RoleApprover}})
	require.NoError(t, err, "a change of a non-admin was refused")
	_, err = e.svc.UpdateUser(t.Context(), "dave", "carol",
		UserChange{Roles: []Role{RoleAdmin}})
	require.NoError(t, err)
	_, err = e.svc.DisableUser(t.Context(), "dave", "dave")
	require.ErrorIs(t, err, ErrConflict, "carol has not enrolled")
	assert.ErrorContains(t, err, "have them enrol first")

	enrolUser(t, e, "carol")
	_, err = e.svc.NewToken(t.Context(), "dave", "carol")
	require.NoError(t, err)
	_, err = e.svc.DisableUser(t.Context(), "dave", "dave")
	require.ErrorIs(t, err, ErrConflict, "carol's identity was retired by a new token")

	enrolUser(t, e, "carol")
	// Enrolments in one second run IdentitySince a few seconds ahead.
	e.clock.Advance(DefaultIdentityLifetime + time.Minute)
	enrolUser(t, e, "dave")
	_, err = e.svc.DisableUser(t.Context(), "dave", "dave")
	require.ErrorIs(t, err, ErrConflict, "carol's identity certificate ran out")

	enrolUser(t, e, "carol")
	_, err = e.svc.DisableUser(t.Context(), "carol", "dave")
	require.NoError(t, err)
	_, err = e.svc.UpdateUser(t.Context(), "carol", "carol",
		UserChange{Roles: []Role{RoleApprover}})
	require.ErrorIs(t, err, ErrConflict)
}

// TestANewTokenStartsTheRenewalWindowAgain checks that a user whose
// renewal window ended can enrol again with a new token and renew from
// then on.
func TestANewTokenStartsTheRenewalWindowAgain(t *testing.T) {
	e := newEnv(t)
	enrolAlice(t, e)
	e.clock.Advance(RenewalWindow)
	u, err := e.svc.User(t.Context(), "alice")
	require.NoError(t, err)
	_, err = e.svc.Renew(t.Context(), "alice", u.IdentitySince, func(User) error { return nil })
	require.ErrorContains(t, err, "renewal window ended")

	since := enrolAlice(t, e)
	e.clock.Advance(time.Hour)
	_, err = e.svc.Renew(t.Context(), "alice", since, func(User) error { return nil })
	require.NoError(t, err, "a new enrolment did not start a new renewal window")
}

// updateCounter is a Store that counts its write transactions.
type updateCounter struct {
	Store
	updates int
}

func (c *updateCounter) Update(ctx context.Context, fn func(Tx) error) error {
	c.updates++
	return c.Store.Update(ctx, fn)
}

// TestAnUnknownTokenWritesNothing sends a token nobody was given: it is
// refused without a write transaction, which would hold up every change.
func TestAnUnknownTokenWritesNothing(t *testing.T) {
	e := newEnv(t)
	counter := &updateCounter{Store: e.store}
	svc, err := NewService(Options{Store: counter, Signer: e.signer, Table: e.table,
		Resources: testResources, Now: e.clock.Now})
	require.NoError(t, err)

	_, err = svc.Enrol(t.Context(), "not-a-token", func(User) error { return nil })
	require.ErrorIs(t, err, ErrNotFound)
	assert.Zero(t, counter.updates)

	token, err := svc.NewToken(t.Context(), "dave", "alice")
	require.NoError(t, err)
	_, err = svc.Enrol(t.Context(), token, func(User) error { return nil })
	require.NoError(t, err, "a real token still enrols")
}
