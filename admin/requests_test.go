package admin

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
)

func TestRequestApproveCertificateFlow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.enrol(t, "alice", grants.RoleRequester)
	bob := e.enrol(t, "bob", grants.RoleApprover)

	_, csr := newCSR(t)
	req, err := alice.CreateRequest(ctx, "db", 30*time.Minute, "fix the index", csr)
	require.NoError(t, err)
	assert.Equal(t, grants.RequestPending, req.State)
	assert.Equal(t, "30m", req.Duration)
	assert.Equal(t, "alice", req.User)

	_, err = alice.Certificate(ctx, req.ID)
	requireAPIError(t, err, http.StatusConflict, "not approved")

	approved, err := bob.Approve(ctx, req.ID, "go ahead")
	require.NoError(t, err)
	assert.Equal(t, grants.RequestApproved, approved.State)
	require.NotEmpty(t, approved.GrantID)
	require.Len(t, approved.Decisions, 1)
	assert.Equal(t, "bob", approved.Decisions[0].Approver)

	gc, err := alice.Certificate(ctx, req.ID)
	require.NoError(t, err)
	assert.Equal(t, e.bundle, gc.CA)
	assert.Equal(t, approved.GrantID, gc.Grant.ID)
	assert.Equal(t, grants.GrantActive, gc.Grant.State)

	chain := []*x509.Certificate{parseCert(t, gc.Certificate)}
	claims, err := e.ca.Verify(chain, time.Now())
	require.NoError(t, err)
	assert.Equal(t, ca.KindGrant, claims.Kind)
	assert.Equal(t, approved.GrantID, claims.GrantID)
	assert.Equal(t, "db", claims.Resource)

	_, err = bob.Certificate(ctx, req.ID)
	requireAPIError(t, err, http.StatusForbidden, "only the requester or an admin")

	mine, err := alice.Grants(ctx, false)
	require.NoError(t, err)
	require.Len(t, mine, 1)
	assert.Equal(t, approved.GrantID, mine[0].ID)

	released, err := alice.Release(ctx, approved.GrantID)
	require.NoError(t, err)
	assert.Equal(t, grants.GrantReleased, released.State)
	_, err = alice.Certificate(ctx, req.ID)
	requireAPIError(t, err, http.StatusConflict, "released")
}

func TestDecisionRules(t *testing.T) {
	tests := []struct {
		name   string
		act    func(t *testing.T, f *flowFixture) error
		status int
		want   string
	}{
		{"self-approval", func(t *testing.T, f *flowFixture) error {
			id := f.request(t, f.carol)
			_, err := f.carol.Approve(context.Background(), id, "")
			return err
		}, http.StatusForbidden, "own request"},
		{"second decision", func(t *testing.T, f *flowFixture) error {
			id := f.request(t, f.alice)
			_, err := f.bob.Approve(context.Background(), id, "")
			require.NoError(t, err)
			_, err = f.carol.Deny(context.Background(), id, "too late")
			return err
		}, http.StatusConflict, "approved"},
		{"approve by requester only", func(t *testing.T, f *flowFixture) error {
			id := f.request(t, f.carol)
			_, err := f.alice.Approve(context.Background(), id, "")
			return err
		}, http.StatusForbidden, "approver role"},
		{"revoke by non-admin", func(t *testing.T, f *flowFixture) error {
			_, err := f.bob.Revoke(context.Background(), f.grant(t), "why not")
			return err
		}, http.StatusForbidden, "admin role"},
		{"release by another user", func(t *testing.T, f *flowFixture) error {
			_, err := f.carol.Release(context.Background(), f.grant(t))
			return err
		}, http.StatusForbidden, ""},
		{"cancel by another user", func(t *testing.T, f *flowFixture) error {
			id := f.request(t, f.alice)
			_, err := f.carol.Cancel(context.Background(), id)
			return err
		}, http.StatusForbidden, ""},
		{"unknown request", func(_ *testing.T, f *flowFixture) error {
			_, err := f.bob.Approve(context.Background(), "req_missing", "")
			return err
		}, http.StatusNotFound, "req_missing"},
		{"another user's request", func(t *testing.T, f *flowFixture) error {
			id := f.request(t, f.carol)
			_, err := f.alice.Request(context.Background(), id)
			return err
		}, http.StatusNotFound, ""},
		{"another user's grant", func(t *testing.T, f *flowFixture) error {
			e := f.env
			dave := e.enrol(t, "dave", grants.RoleRequester)
			_, err := dave.Grant(context.Background(), f.grant(t))
			return err
		}, http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlowFixture(t)
			requireAPIError(t, tt.act(t, f), tt.status, tt.want)
		})
	}
}

// TestDisabledApproversApprovalLapses checks over the API that an approval
// stops counting when its approver is disabled: pair needs two.
func TestDisabledApproversApprovalLapses(t *testing.T) {
	f := newFlowFixture(t)
	ctx := context.Background()
	_, csr := newCSR(t)
	req, err := f.alice.CreateRequest(ctx, "pair", time.Hour, "pairing", csr)
	require.NoError(t, err)
	_, err = f.bob.Approve(ctx, req.ID, "")
	require.NoError(t, err)
	_, err = f.env.svc.DisableUser(ctx, "test", "bob")
	require.NoError(t, err)

	got, err := f.carol.Approve(ctx, req.ID, "")
	require.NoError(t, err)
	assert.Equal(t, grants.RequestPending, got.State)
	assert.Empty(t, got.GrantID)
	assert.Equal(t, "needs 1 more approval from any approver", got.Needs)
}

// TestHiddenAndMissingLookAlike checks that a requester cannot tell
// another user's request or grant from one that does not exist: the two
// answers are the same but for the ID.
func TestHiddenAndMissingLookAlike(t *testing.T) {
	f := newFlowFixture(t)
	ctx := context.Background()
	dave := f.env.enrol(t, "dave", grants.RoleRequester)
	requestID := f.request(t, f.alice)
	grantID := f.grant(t)

	tests := []struct {
		name    string
		hidden  string
		missing string
		call    func(id string) error
	}{
		{"get request", requestID, "req_missing",
			func(id string) error { _, err := dave.Request(ctx, id); return err }},
		{"cancel request", requestID, "req_missing",
			func(id string) error { _, err := dave.Cancel(ctx, id); return err }},
		{"fetch certificate", requestID, "req_missing",
			func(id string) error { _, err := dave.Certificate(ctx, id); return err }},
		{"get grant", grantID, "gr_missing",
			func(id string) error { _, err := dave.Grant(ctx, id); return err }},
		{"release grant", grantID, "gr_missing",
			func(id string) error { _, err := dave.Release(ctx, id); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hidden, missing := tc.call(tc.hidden), tc.call(tc.missing)
			requireAPIError(t, hidden, http.StatusNotFound, tc.hidden)
			requireAPIError(t, missing, http.StatusNotFound, tc.missing)
			assert.Equal(t,
				strings.ReplaceAll(missing.Error(), tc.missing, "ID"),
				strings.ReplaceAll(hidden.Error(), tc.hidden, "ID"))
		})
	}
}

func TestRevokeByAdmin(t *testing.T) {
	f := newFlowFixture(t)
	ctx := context.Background()
	root := f.env.enrol(t, "root", grants.RoleAdmin)
	id := f.grant(t)

	g, err := root.Revoke(ctx, id, "incident 7")
	require.NoError(t, err)
	assert.Equal(t, grants.GrantRevoked, g.State)
	assert.Equal(t, "root", g.EndedBy)
	assert.Equal(t, "incident 7", g.EndReason)

	_, err = root.Revoke(ctx, id, "again")
	requireAPIError(t, err, http.StatusConflict, id)

	active, err := f.alice.Grants(ctx, false)
	require.NoError(t, err)
	assert.Empty(t, active)
	all, err := f.alice.Grants(ctx, true)
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, grants.GrantRevoked, all[0].State)
}

func TestBadRequestBodies(t *testing.T) {
	_, csrPEM := newCSR(t)
	csr := string(csrPEM)
	tests := []struct {
		name   string
		body   any
		status int
		want   string
	}{
		{"malformed csr", createRequestBody{Resource: "db", Duration: "30m",
			Reason: "r", CSR: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n" +
				"-----END CERTIFICATE REQUEST-----\n"},
			http.StatusBadRequest, "invalid csr: "},
		{"csr that is a certificate", createRequestBody{Resource: "db", Duration: "30m",
			Reason: "r", CSR: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
			http.StatusBadRequest, "invalid csr: "},
		{"oversized body", createRequestBody{Resource: "db", Duration: "30m",
			Reason: strings.Repeat("x", MaxBodyBytes), CSR: csr},
			http.StatusRequestEntityTooLarge, "larger than 65536 bytes"},
		{"unknown field", map[string]string{"resource": "db", "colour": "blue"},
			http.StatusBadRequest, `unknown field "colour"`},
		{"bad duration", createRequestBody{Resource: "db", Duration: "soon",
			Reason: "r", CSR: csr}, http.StatusBadRequest,
			`invalid duration: "soon" is not a duration such as 30m or 2h`},
		{"duration too long to hold", createRequestBody{Resource: "db", Duration: "9999999h",
			Reason: "r", CSR: csr}, http.StatusBadRequest,
			"invalid duration: 9999999h is far longer than any grant may last"},
		{"negative duration", createRequestBody{Resource: "db", Duration: "-5m",
			Reason: "r", CSR: csr}, http.StatusBadRequest, "invalid duration"},
		{"duration over the cap", createRequestBody{Resource: "db", Duration: "5h",
			Reason: "r", CSR: csr}, http.StatusBadRequest, "invalid duration"},
		{"duration of the wrong type", map[string]any{"duration": 30},
			http.StatusBadRequest, "invalid duration: expected string"},
		{"unknown resource", createRequestBody{Resource: "mainframe", Duration: "5m",
			Reason: "r", CSR: csr}, http.StatusBadRequest, "invalid resource"},
		{"no reason", createRequestBody{Resource: "db", Duration: "5m", CSR: csr},
			http.StatusBadRequest, "invalid reason"},
		{"not an object", []string{"db"}, http.StatusBadRequest, "must be a JSON object"},
		{"reason with a terminal escape", createRequestBody{Resource: "db",
			Duration: "5m", Reason: "fix\x1b[2K", CSR: csr}, http.StatusBadRequest,
			"invalid reason: control, invisible or unassigned character U+001B at character 4"},
		{"csr over the size cap", createRequestBody{Resource: "db", Duration: "5m",
			Reason: "r", CSR: paddedCSR(t, 9<<10)}, http.StatusBadRequest,
			"at most 8192 accepted"},
	}
	e := newEnv(t)
	alice := e.enrol(t, "alice", grants.RoleRequester)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := alice.do(context.Background(), http.MethodPost, "/v1/requests",
				tt.body, &RequestView{})
			requireAPIError(t, err, tt.status, tt.want)
		})
	}

	err := postRaw(t, alice, "/v1/requests", `{"resource": "db"} {}`)
	requireAPIError(t, err, http.StatusBadRequest, "more than one JSON value")
	err = postRaw(t, alice, "/v1/requests", `{"resource": "db"`)
	requireAPIError(t, err, http.StatusBadRequest, "malformed JSON")

	stored, err := e.svc.Requests(context.Background(), grants.RequestFilter{})
	require.NoError(t, err)
	assert.Empty(t, stored, "refused requests store nothing")
}

func TestListRequests(t *testing.T) {
	f := newFlowFixture(t)
	ctx := context.Background()
	mine := f.request(t, f.alice)
	carols := f.request(t, f.carol)
	decided := f.request(t, f.carol)
	_, err := f.bob.Deny(ctx, decided, "no")
	require.NoError(t, err)

	tests := []struct {
		name   string
		client *Client
		all    bool
		want   []string
	}{
		{"requester, current", f.alice, false, []string{mine}},
		{"requester, all", f.alice, true, []string{mine}},
		{"approver, current", f.bob, false, []string{mine, carols}},
		{"approver, all", f.bob, true, []string{mine, carols, decided}},
		{"approver and requester, current", f.carol, false,
			[]string{mine, carols, decided}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := tt.client.Requests(ctx, tt.all)
			require.NoError(t, err)
			assert.Equal(t, tt.want, requestIDs(list))
		})
	}

	var pending []RequestView
	denied := "/v1/requests?all=true&state=denied"
	err = f.bob.do(ctx, http.MethodGet, denied, nil, &pending)
	require.NoError(t, err)
	assert.Equal(t, []string{decided}, requestIDs(pending))

	err = f.bob.do(ctx, http.MethodGet, "/v1/requests?state=lost", nil, &pending)
	requireAPIError(t, err, http.StatusBadRequest, "invalid state")
}

// postRaw posts body as it is, and returns the API's error if any.
// paddedCSR returns a PEM CSR for a fresh key carrying about n bytes of
// junk in a non-critical extension.
func paddedCSR(t testing.TB, n int) string {
	t.Helper()
	junk, err := asn1.Marshal(make([]byte, n))
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Value: junk},
		},
	}, newKey(t))
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func postRaw(t testing.TB, c *Client, path, body string) error {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := c.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()

	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return apiError(resp.StatusCode, raw)
}

// requestIDs returns the IDs of list in order.
func requestIDs(list []RequestView) []string {
	ids := make([]string, len(list))
	for i, r := range list {
		ids[i] = r.ID
	}
	return ids
}

// flowFixture is a server with alice (requester), bob (approver) and
// carol (requester and approver).
type flowFixture struct {
	env               *testEnv
	alice, bob, carol *Client
}

// newFlowFixture starts a server and enrols alice, bob and carol.
func newFlowFixture(t *testing.T) *flowFixture {
	e := newEnv(t)
	return &flowFixture{
		env:   e,
		alice: e.enrol(t, "alice", grants.RoleRequester),
		bob:   e.enrol(t, "bob", grants.RoleApprover),
		carol: e.enrol(t, "carol", grants.RoleRequester, grants.RoleApprover),
	}
}

// request has c ask for db and returns the request's ID.
func (f *flowFixture) request(t *testing.T, c *Client) string {
	t.Helper()
	_, csr := newCSR(t)
	req, err := c.CreateRequest(context.Background(), "db", 15*time.Minute, "work", csr)
	require.NoError(t, err)
	return req.ID
}

// grant has alice ask and bob approve, and returns the active grant's ID.
func (f *flowFixture) grant(t *testing.T) string {
	t.Helper()
	req, err := f.bob.Approve(context.Background(), f.request(t, f.alice), "")
	require.NoError(t, err)
	require.NotEmpty(t, req.GrantID)
	return req.GrantID
}
