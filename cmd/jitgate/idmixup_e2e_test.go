package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/ca"
)

// loginAs adds a user with roles and logs them in with jitgate login, into
// a profile of their own, whose home it returns.
func (tg *testGateway) loginAs(name string, roles ...string) string {
	tg.t.Helper()
	_, token, err := tg.adminClient().AddUser(context.Background(), name, roles)
	require.NoError(tg.t, err)

	home := filepath.Join(tg.t.TempDir(), name)
	fp := ca.Fingerprint(tg.gw.core.authority.Root())
	err = runJitgate(tg.t, home, "login", "--server", tg.gw.admin.Addr().String(),
		"--token", token, "--ca-fingerprint", fp)
	require.NoError(tg.t, err)
	return home
}

// TestCLIErrorsAboutIDsSayWhatWasWrong runs the verbs that take an ID
// against a real server with an ID of the other kind, or one the caller
// may not see, and checks the error a person reads.
func TestCLIErrorsAboutIDsSayWhatWasWrong(t *testing.T) {
	p := newPeople(t)
	grantID, _ := p.grant(p.alice, p.bob, "echo", time.Hour)
	key, err := newKey()
	require.NoError(t, err)
	csr, err := newCSR(key)
	require.NoError(t, err)
	req, err := p.clientWith(p.alice).CreateRequest(context.Background(), "echo",
		time.Hour, "why", csr)
	require.NoError(t, err)

	erin := p.loginAs("erin", "approver")
	dave := p.loginAs("dave", "requester")
	root := filepath.Join(p.dir, adminProfileDir)
	// The admin profile names the configured address, not the one the
	// kernel picked.
	t.Setenv("JITGATE_SERVER", p.gw.admin.Addr().String())

	tests := []struct {
		name string
		home string
		args []string
		want string
	}{
		{"approve a grant", erin, []string{"approve", grantID},
			fmt.Sprintf(`400 bad request: %q is a grant ID; approve takes a request ID `+
				`(req_...)`, grantID)},
		{"revoke a request", root, []string{"revoke", req.ID, "--reason", "x"},
			fmt.Sprintf(`400 bad request: %q is a request ID; revoke takes a grant ID `+
				`(gr_...)`, req.ID)},
		{"show a grant", dave, []string{"requests", "show", grantID},
			fmt.Sprintf(`400 bad request: %q is a grant ID, not a request ID (req_...)`,
				grantID)},
		{"fetch the certificate of a grant", dave, []string{"cert", grantID},
			fmt.Sprintf(`400 bad request: %q is a grant ID, not a request ID (req_...)`,
				grantID)},
		{"release another user's grant", dave, []string{"release", grantID},
			fmt.Sprintf(`404 not found: grant %q`, grantID)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.EqualError(t, runJitgate(t, tc.home, tc.args...), tc.want)
		})
	}
}
