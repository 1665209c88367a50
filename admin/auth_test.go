package admin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
)

func TestAuthentication(t *testing.T) {
	tests := []struct {
		name   string
		client func(t *testing.T, e *testEnv) *Client
		// status is the API's answer; zero means the handshake is refused.
		status int
		want   string
	}{
		{
			name:   "no certificate",
			client: func(t *testing.T, e *testEnv) *Client { return e.anonymous(t) },
			status: http.StatusUnauthorized,
			want:   "client certificate required",
		},
		{
			name:   "grant certificate",
			client: grantCertificateClient,
			status: http.StatusUnauthorized,
			want:   "grant certificates are not accepted here, use an identity certificate",
		},
		{
			name: "unknown user",
			client: func(t *testing.T, e *testEnv) *Client {
				return identityClient(t, e, e.ca, "ghost")
			},
			status: http.StatusUnauthorized,
			want:   "user ghost is not known",
		},
		{
			name:   "disabled user",
			client: disabledUserClient,
			status: http.StatusForbidden,
			want:   "user alice is disabled",
		},
		{
			name: "certificate of another CA",
			client: func(t *testing.T, e *testEnv) *Client {
				e.enrol(t, "alice", grants.RoleRequester)
				other, err := ca.Init(t.TempDir(), testTrustDomain)
				require.NoError(t, err)
				return identityClient(t, e, other, "alice")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c := tt.client(t, e)

			_, err := c.Whoami(context.Background())
			if tt.status != 0 {
				requireAPIError(t, err, tt.status, tt.want)
				return
			}
			var apiErr *APIError
			require.Error(t, err)
			require.False(t, errors.As(err, &apiErr),
				"want a refused handshake, got %v", err)
		})
	}
}

func TestHandshakeRefusesForeignCertificate(t *testing.T) {
	e := newEnv(t)
	other, err := ca.Init(t.TempDir(), testTrustDomain)
	require.NoError(t, err)
	key, csrPEM := newCSR(t)
	csr, err := ca.ParseCSR(csrPEM)
	require.NoError(t, err)
	foreign, err := other.SignIdentity(csr, "alice", time.Now())
	require.NoError(t, err)

	roots := x509.NewCertPool()
	roots.AddCert(e.ca.Root())
	conn, err := tls.Dial("tcp", e.addr, &tls.Config{
		RootCAs: roots,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate,
			error) {
			return &tls.Certificate{Certificate: [][]byte{foreign.Raw},
				PrivateKey: key}, nil
		},
	})
	if err == nil {
		// Under TLS 1.3 the client finishes first and hears of the
		// refusal on its first read.
		defer conn.Close()
		_, err = conn.Read(make([]byte, 1))
	}
	require.ErrorContains(t, err, "bad certificate")
}

// grantCertificateClient returns a client presenting a valid grant
// certificate of the test CA.
func grantCertificateClient(t *testing.T, e *testEnv) *Client {
	alice := e.enrol(t, "alice", grants.RoleRequester)
	bob := e.enrol(t, "bob", grants.RoleApprover)
	ctx := context.Background()

	key, csr := newCSR(t)
	req, err := alice.CreateRequest(ctx, "db", 30*time.Minute, "debug", csr)
	require.NoError(t, err)
	_, err = bob.Approve(ctx, req.ID, "")
	require.NoError(t, err)
	gc, err := alice.Certificate(ctx, req.ID)
	require.NoError(t, err)
	return e.clientWith(t, gc.Certificate, key)
}

// disabledUserClient enrols alice, has an admin disable her, and returns
// her client.
func disabledUserClient(t *testing.T, e *testEnv) *Client {
	alice := e.enrol(t, "alice", grants.RoleRequester)
	root := e.enrol(t, "root", grants.RoleAdmin)

	_, err := alice.Whoami(context.Background())
	require.NoError(t, err, "alice is accepted before she is disabled")
	u, err := root.DisableUser(context.Background(), "alice")
	require.NoError(t, err)
	require.True(t, u.Disabled)
	return alice
}

// identityClient returns a client with an identity certificate for user
// signed by authority, which need not be the server's.
func identityClient(t *testing.T, e *testEnv, authority *ca.Authority,
	user string) *Client {
	key, csrPEM := newCSR(t)
	csr, err := ca.ParseCSR(csrPEM)
	require.NoError(t, err)

	cert, err := authority.SignIdentity(csr, user, time.Now())
	require.NoError(t, err)
	return e.clientWith(t, []byte(pemCertificate(cert.Raw)), key)
}

func TestAuthorisationByRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.enrol(t, "alice", grants.RoleRequester)
	bob := e.enrol(t, "bob", grants.RoleApprover)

	tests := []struct {
		name string
		call func() error
		role grants.Role
	}{
		{"requester approves", func() error {
			_, err := alice.Approve(ctx, "req_any", "")
			return err
		}, grants.RoleApprover},
		{"requester denies", func() error {
			_, err := alice.Deny(ctx, "req_any", "no")
			return err
		}, grants.RoleApprover},
		{"approver revokes", func() error {
			_, err := bob.Revoke(ctx, "grt_any", "why")
			return err
		}, grants.RoleAdmin},
		{"approver adds a user", func() error {
			_, _, err := bob.AddUser(ctx, "carol", []string{"requester"})
			return err
		}, grants.RoleAdmin},
		{"approver lists users", func() error {
			_, err := bob.Users(ctx)
			return err
		}, grants.RoleAdmin},
		{"approver disables a user", func() error {
			_, err := bob.DisableUser(ctx, "alice")
			return err
		}, grants.RoleAdmin},
		{"approver issues a token", func() error {
			_, err := bob.NewToken(ctx, "alice")
			return err
		}, grants.RoleAdmin},
		{"approver reads the audit trail", func() error {
			_, err := bob.Audit(ctx, 10)
			return err
		}, grants.RoleAdmin},
		{"approver requests", func() error {
			_, csr := newCSR(t)
			_, err := bob.CreateRequest(ctx, "db", time.Minute, "why", csr)
			return err
		}, grants.RoleRequester},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireAPIError(t, tt.call(), http.StatusForbidden,
				"this needs the "+string(tt.role)+" role")
		})
	}
}

func TestTLSConfigVerifiesClientChain(t *testing.T) {
	e := newEnv(t)
	other, err := ca.Init(t.TempDir(), testTrustDomain)
	require.NoError(t, err)
	_, csrPEM := newCSR(t)
	csr, err := ca.ParseCSR(csrPEM)
	require.NoError(t, err)

	ours, err := e.ca.SignIdentity(csr, "alice", time.Now())
	require.NoError(t, err)
	theirs, err := other.SignIdentity(csr, "alice", time.Now())
	require.NoError(t, err)

	tests := []struct {
		name  string
		chain []*x509.Certificate
		// age is how far after now the chain is checked.
		age time.Duration
		ok  bool
	}{
		{"no certificate", nil, 0, true},
		{"ours, leaf alone", []*x509.Certificate{ours}, 0, true},
		{"another CA", []*x509.Certificate{theirs}, 0, false},
		{"our intermediate", []*x509.Certificate{e.ca.Intermediate()}, 0, false},
		{"ours, expired", []*x509.Certificate{ours},
			ca.IdentityLifetime + time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyClientChain(e.ca, tt.chain, time.Now().Add(tt.age))
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// crossSite is a transport that marks each request as a browser does when
// another site sends it.
type crossSite struct{ next http.RoundTripper }

func (c crossSite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	return c.next.RoundTrip(r)
}

// TestCrossSiteRequestsAreRefused checks that a browser holding an
// approver's certificate cannot be made to approve by another site.
func TestCrossSiteRequestsAreRefused(t *testing.T) {
	e := newEnv(t)
	alice := e.enrol(t, "alice", grants.RoleRequester)
	bob := e.enrol(t, "bob", grants.RoleApprover)
	ctx := context.Background()
	_, csr := newCSR(t)
	req, err := alice.CreateRequest(ctx, "db", 30*time.Minute, "debug", csr)
	require.NoError(t, err)

	forged := *bob
	forged.http = &http.Client{Transport: crossSite{next: bob.http.Transport}}
	_, err = forged.Approve(ctx, req.ID, "")
	requireAPIError(t, err, http.StatusForbidden, "cross-origin request refused")
	got, err := bob.Request(ctx, req.ID)
	require.NoError(t, err)
	assert.Equal(t, grants.RequestPending, got.State, "a refused approval changed the request")

	_, err = forged.Requests(ctx, false)
	require.NoError(t, err, "a cross-site read was refused; reads change nothing")
	_, err = bob.Approve(ctx, req.ID, "")
	require.NoError(t, err)
}

// TestAChangeCommittedAfterAuthenticationCounts has a new enrolment token
// for alice commit after the API authenticated her request and before the
// request reaches the store: the request is refused and not stored.
func TestAChangeCommittedAfterAuthenticationCounts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.enrol(t, "alice", grants.RoleRequester)
	newToken := func() {
		_, err := e.svc.NewToken(ctx, "test", "alice")
		assert.NoError(t, err)
	}
	e.overtake.Store(&newToken)

	_, csr := newCSR(t)
	_, err := alice.CreateRequest(ctx, "db", time.Hour, "deploy the fix", csr)
	requireAPIError(t, err, http.StatusForbidden,
		"identity certificate of alice was replaced")
	assert.Nil(t, e.overtake.Load(), "the token was issued in between")

	stored, err := e.svc.Requests(ctx, grants.RequestFilter{User: "alice"})
	require.NoError(t, err)
	assert.Empty(t, stored)
}
