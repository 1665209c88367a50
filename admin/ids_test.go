package admin

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

// TestIDOfTheOtherKindIsRefused checks that a grant ID where a request ID
// belongs, or the other way round, is a 400 naming both kinds, and that it
// changes nothing, though the ID exists and the caller may act on it.
func TestIDOfTheOtherKindIsRefused(t *testing.T) {
	f := newFlowFixture(t)
	ctx := context.Background()
	root := f.env.enrol(t, "root", grants.RoleAdmin)
	reqID := f.request(t, f.alice)
	grID := f.grant(t)
	before, err := f.env.svc.Events(ctx, 1000)
	require.NoError(t, err)

	onRequest := func(action string) string {
		return fmt.Sprintf("%q is a grant ID; %s takes a request ID (req_...)", grID, action)
	}
	onGrant := func(action string) string {
		return fmt.Sprintf("%q is a request ID; %s takes a grant ID (gr_...)", reqID, action)
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"approve", func() error { _, err := f.bob.Approve(ctx, grID, ""); return err },
			onRequest("approve")},
		{"deny", func() error { _, err := f.bob.Deny(ctx, grID, "no"); return err },
			onRequest("deny")},
		{"cancel", func() error { _, err := f.alice.Cancel(ctx, grID); return err },
			onRequest("cancel")},
		{"get request", func() error { _, err := f.alice.Request(ctx, grID); return err },
			fmt.Sprintf("%q is a grant ID, not a request ID (req_...)", grID)},
		{"fetch certificate", func() error {
			_, err := f.alice.Certificate(ctx, grID)
			return err
		}, fmt.Sprintf("%q is a grant ID, not a request ID (req_...)", grID)},
		{"revoke", func() error { _, err := root.Revoke(ctx, reqID, "x"); return err },
			onGrant("revoke")},
		{"release", func() error { _, err := f.alice.Release(ctx, reqID); return err },
			onGrant("release")},
		{"get grant", func() error { _, err := f.alice.Grant(ctx, reqID); return err },
			fmt.Sprintf("%q is a request ID, not a grant ID (gr_...)", reqID)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			requireAPIError(t, err, http.StatusBadRequest, "")
			assert.Equal(t, "400 bad request: "+tc.want, err.Error())
		})
	}

	after, err := f.env.svc.Events(ctx, 1000)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a refused ID must change nothing")
	req, err := f.alice.Request(ctx, reqID)
	require.NoError(t, err)
	assert.Equal(t, grants.RequestPending, req.State)
	g, err := f.alice.Grant(ctx, grID)
	require.NoError(t, err)
	assert.Equal(t, grants.GrantActive, g.State)
}

// TestNotFoundSaysItOnce checks that no kind of 404 repeats "not found" in
// its message: the client prints the status and the message together.
func TestNotFoundSaysItOnce(t *testing.T) {
	f := newFlowFixture(t)
	ctx := context.Background()
	root := f.env.enrol(t, "root", grants.RoleAdmin)
	dave := f.env.enrol(t, "dave", grants.RoleRequester)
	grID := f.grant(t)
	reqID := f.request(t, f.carol)

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"release another user's grant", func() error {
			_, err := dave.Release(ctx, grID)
			return err
		}, fmt.Sprintf("grant %q", grID)},
		{"another user's request", func() error {
			_, err := dave.Request(ctx, reqID)
			return err
		}, fmt.Sprintf("request %q", reqID)},
		{"unknown request", func() error {
			_, err := f.bob.Approve(ctx, "req_missing", "")
			return err
		}, `request "req_missing"`},
		{"unknown grant", func() error {
			_, err := root.Revoke(ctx, "gr_missing", "x")
			return err
		}, `grant "gr_missing"`},
		{"unknown user", func() error {
			_, err := root.DisableUser(ctx, "nobody")
			return err
		}, `user "nobody"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			requireAPIError(t, err, http.StatusNotFound, "")
			assert.Equal(t, "404 not found: "+tc.want, err.Error())
			assert.Equal(t, 1, strings.Count(err.Error(), "not found"), err.Error())
		})
	}
}
