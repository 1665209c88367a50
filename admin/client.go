package admin

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jitgate/jitgate/grants"
)

// maxResponseBytes caps how much of an answer the client reads.
const maxResponseBytes = 16 << 20

// Enrolment is an identity certificate as enrolment or renewal returns it.
type Enrolment struct {
	// Certificate is the PEM identity certificate.
	Certificate []byte
	// CA is the PEM bundle: the root, then the intermediate.
	CA   []byte
	User UserView
}

// GrantCertificate is the certificate of an approved request.
type GrantCertificate struct {
	// Certificate is the PEM grant certificate.
	Certificate []byte
	// CA is the PEM bundle: the root, then the intermediate.
	CA    []byte
	Grant GrantView
}

// Client speaks the admin API. It verifies the server against the root of
// the CA bundle it was given. It is safe for concurrent use.
type Client struct {
	base string
	http *http.Client
}

// NewClient returns a Client for the admin API at addr ("host:port"; an
// empty host means localhost). The server's certificate must chain to the
// root in caBundlePEM and name the host as given, DNS name or IP. cert is
// the caller's identity certificate; nil makes an unauthenticated client,
// which can only enrol and fetch the CA.
func NewClient(addr string, caBundlePEM []byte, cert *tls.Certificate) (*Client, error) {
	host, port, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}
	roots, err := rootPool(caBundlePEM)
	if err != nil {
		return nil, err
	}

	conf := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: roots, ServerName: host}
	if cert != nil {
		// Offer the certificate whatever CAs the server hints at: an
		// identity certificate's issuer is the intermediate.
		conf.GetClientCertificate = func(
			*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return cert, nil
		}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = conf

	return &Client{
		base: "https://" + net.JoinHostPort(host, port),
		http: &http.Client{Transport: transport},
	}, nil
}

// splitAddr splits "host:port", defaulting the host to localhost.
func splitAddr(addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("admin address %q: %w", addr, err)
	}
	if host == "" {
		host = "localhost"
	}
	return host, port, nil
}

// Enroll redeems a one-time enrolment token for an identity certificate
// for the key of csrPEM.
func (c *Client) Enroll(ctx context.Context, token string,
	csrPEM []byte) (*Enrolment, error) {
	var out enrolmentBody
	in := enrolBody{Token: token, CSR: string(csrPEM)}
	if err := c.do(ctx, http.MethodPost, "/v1/enroll", in, &out); err != nil {
		return nil, err
	}
	return enrolmentOf(out), nil
}

// Renew trades csrPEM for a fresh identity certificate.
func (c *Client) Renew(ctx context.Context, csrPEM []byte) (*Enrolment, error) {
	var out enrolmentBody
	in := renewBody{CSR: string(csrPEM)}
	if err := c.do(ctx, http.MethodPost, "/v1/renew", in, &out); err != nil {
		return nil, err
	}
	return enrolmentOf(out), nil
}

// enrolmentOf converts the wire answer of enrol and renew.
func enrolmentOf(b enrolmentBody) *Enrolment {
	return &Enrolment{Certificate: []byte(b.Certificate), CA: []byte(b.CA), User: b.User}
}

// Whoami returns the caller.
func (c *Client) Whoami(ctx context.Context) (UserView, error) {
	var u UserView
	err := c.do(ctx, http.MethodGet, "/v1/whoami", nil, &u)
	return u, err
}

// Resources lists the resources the caller may request, with their
// policies.
func (c *Client) Resources(ctx context.Context) ([]ResourceInfo, error) {
	var list []ResourceInfo
	err := c.do(ctx, http.MethodGet, "/v1/resources", nil, &list)
	return list, err
}

// AddUser creates a user (admin) in groups and returns it with its
// enrolment token.
func (c *Client) AddUser(ctx context.Context, name string, roles []string,
	groups ...string) (UserView, string, error) {
	in := addUserBody{Name: name, Roles: toRoles(roles), Groups: groups}

	var out newUserBody
	err := c.do(ctx, http.MethodPost, "/v1/users", in, &out)
	return out.User, out.Token, err
}

// UpdateUser replaces a user's roles, groups or both (admin); a nil list
// is left as it is, an empty one is emptied.
func (c *Client) UpdateUser(ctx context.Context, name string,
	roles, groups []string) (UserView, error) {
	var in updateUserBody
	if roles != nil {
		r := toRoles(roles)
		in.Roles = &r
	}
	if groups != nil {
		in.Groups = &groups
	}

	var u UserView
	err := c.do(ctx, http.MethodPatch, userPath(name, ""), in, &u)
	return u, err
}

func toRoles(names []string) []grants.Role {
	roles := make([]grants.Role, len(names))
	for i, r := range names {
		roles[i] = grants.Role(r)
	}
	return roles
}

// Users lists every user (admin).
func (c *Client) Users(ctx context.Context) ([]UserView, error) {
	var list []UserView
	err := c.do(ctx, http.MethodGet, "/v1/users", nil, &list)
	return list, err
}

// DisableUser disables a user (admin).
func (c *Client) DisableUser(ctx context.Context, name string) (UserView, error) {
	var u UserView
	err := c.do(ctx, http.MethodPost, userPath(name, "disable"), nil, &u)
	return u, err
}

// NewToken issues a fresh enrolment token for a user (admin).
func (c *Client) NewToken(ctx context.Context, name string) (string, error) {
	var out tokenBody
	err := c.do(ctx, http.MethodPost, userPath(name, "token"), nil, &out)
	return out.Token, err
}

// RequestOption adds to what CreateRequest sends.
type RequestOption func(*createRequestBody)

// WithTicket sends a change or incident reference with the request.
func WithTicket(ticket string) RequestOption {
	return func(b *createRequestBody) { b.Ticket = ticket }
}

// CreateRequest asks for access to resource for d; csrPEM is the request
// for the grant certificate's key. The answer may already be approved when
// the resource's policy approves it automatically.
func (c *Client) CreateRequest(ctx context.Context, resource string, d time.Duration,
	reason string, csrPEM []byte, opts ...RequestOption) (RequestView, error) {
	in := createRequestBody{
		Resource: resource,
		Duration: grants.FormatDuration(d),
		Reason:   reason,
		CSR:      string(csrPEM),
	}
	for _, opt := range opts {
		opt(&in)
	}

	var out RequestView
	err := c.do(ctx, http.MethodPost, "/v1/requests", in, &out)
	return out, err
}

// Requests lists requests: the current ones, or with all every request the
// caller may see.
func (c *Client) Requests(ctx context.Context, all bool) ([]RequestView, error) {
	var list []RequestView
	err := c.do(ctx, http.MethodGet, "/v1/requests"+allQuery(all), nil, &list)
	return list, err
}

// PendingRequests lists the pending requests the caller can act on: their
// own, and those the policies let them decide.
func (c *Client) PendingRequests(ctx context.Context) ([]RequestView, error) {
	var list []RequestView
	err := c.do(ctx, http.MethodGet, "/v1/requests?pending=true", nil, &list)
	return list, err
}

// Request returns one request.
func (c *Client) Request(ctx context.Context, id string) (RequestView, error) {
	var out RequestView
	err := c.do(ctx, http.MethodGet, requestPath(id, ""), nil, &out)
	return out, err
}

// Approve approves a request (approver).
func (c *Client) Approve(ctx context.Context, id, comment string) (RequestView, error) {
	var out RequestView
	err := c.do(ctx, http.MethodPost, requestPath(id, "approve"),
		approveBody{Comment: comment}, &out)
	return out, err
}

// Deny denies a request (approver).
func (c *Client) Deny(ctx context.Context, id, reason string) (RequestView, error) {
	var out RequestView
	in := reasonBody{Reason: reason}
	err := c.do(ctx, http.MethodPost, requestPath(id, "deny"), in, &out)
	return out, err
}

// Cancel withdraws the caller's own pending request.
func (c *Client) Cancel(ctx context.Context, id string) (RequestView, error) {
	var out RequestView
	err := c.do(ctx, http.MethodPost, requestPath(id, "cancel"), nil, &out)
	return out, err
}

// Certificate fetches the grant certificate of an approved request.
func (c *Client) Certificate(ctx context.Context,
	requestID string) (*GrantCertificate, error) {
	var out grantCertificateBody
	path := requestPath(requestID, "certificate")
	if err := c.do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	return &GrantCertificate{
		Certificate: []byte(out.Certificate),
		CA:          []byte(out.CA),
		Grant:       out.Grant,
	}, nil
}

// Grants lists active grants, or with all grants in any state.
func (c *Client) Grants(ctx context.Context, all bool) ([]GrantView, error) {
	var list []GrantView
	err := c.do(ctx, http.MethodGet, "/v1/grants"+allQuery(all), nil, &list)
	return list, err
}

// Grant returns one grant.
func (c *Client) Grant(ctx context.Context, id string) (GrantView, error) {
	var out GrantView
	err := c.do(ctx, http.MethodGet, grantPath(id, ""), nil, &out)
	return out, err
}

// Revoke ends a grant at once (admin); it returns once the revocation is
// durable.
func (c *Client) Revoke(ctx context.Context, id, reason string) (GrantView, error) {
	var out GrantView
	in := reasonBody{Reason: reason}
	err := c.do(ctx, http.MethodPost, grantPath(id, "revoke"), in, &out)
	return out, err
}

// Release hands the caller's own grant back early.
func (c *Client) Release(ctx context.Context, id string) (GrantView, error) {
	var out GrantView
	err := c.do(ctx, http.MethodPost, grantPath(id, "release"), nil, &out)
	return out, err
}

// Audit returns the newest limit audit events, oldest first (admin); a
// limit of zero or less takes the server's default.
func (c *Client) Audit(ctx context.Context, limit int) ([]grants.Event, error) {
	path := "/v1/audit"
	if limit > 0 {
		path += "?limit=" + strconv.Itoa(limit)
	}

	var events []grants.Event
	err := c.do(ctx, http.MethodGet, path, nil, &events)
	return events, err
}

// userPath returns the path of one of a user's actions.
func userPath(name, action string) string {
	return objectPath("/v1/users/", name, action)
}

// requestPath returns the path of a request, or of one of its actions.
func requestPath(id, action string) string {
	return objectPath("/v1/requests/", id, action)
}

// grantPath returns the path of a grant, or of one of its actions.
func grantPath(id, action string) string {
	return objectPath("/v1/grants/", id, action)
}

// objectPath joins a collection, an escaped ID and an optional action.
func objectPath(collection, id, action string) string {
	p := collection + url.PathEscape(id)
	if action != "" {
		p += "/" + action
	}
	return p
}

// allQuery returns the query string of all=true, or nothing.
func allQuery(all bool) string {
	if all {
		return "?all=true"
	}
	return ""
}

// do sends in as JSON (none when nil) and decodes a 2xx answer into out.
// Any other answer becomes an *APIError.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	req, err := c.newRequest(ctx, method, path, in)
	if err != nil {
		return err
	}

	resp, err := c.http.Do(req)
	var untrusted *tls.CertificateVerificationError
	if errors.As(err, &untrusted) {
		return fmt.Errorf("%s %s: %s is not the jitgate this profile trusts, its "+
			"certificate is not signed by the profile's CA (check the profile's server, "+
			"or JITGATE_SERVER): %w", method, path, c.base, err)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return apiError(resp.StatusCode, body)
	}

	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// newRequest builds a request with in, when not nil, as its JSON body.
func (c *Client) newRequest(ctx context.Context, method, path string,
	in any) (*http.Request, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode body: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}

	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// apiError reads an error answer; a body that is not the API's JSON is
// quoted, shortened, as the message.
func apiError(status int, body []byte) *APIError {
	var e errorBody
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return &APIError{Status: status, Message: e.Error}
	}

	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	if msg == "" {
		msg = "no error message"
	}
	return &APIError{Status: status, Message: msg}
}
