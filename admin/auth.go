package admin

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
)

// TLSConfig returns the admin API's server TLS configuration: TLS 1.3,
// serving the certificate getCert returns, and verifying a client
// certificate when one is given. A client certificate must be one that a
// signed for a client (ca.Authority.Verify); the handshake fails otherwise.
// A missing one passes here, so that GET /v1/ca and POST /v1/enroll work
// without it; every other endpoint refuses it.
//
// Verification is done in VerifyConnection rather than by
// tls.VerifyClientCertIfGiven because clients usually send their leaf
// alone, and crypto/tls would look for the intermediate only in what the
// client sent. VerifyConnection also runs on resumed sessions, so a
// certificate that expired since is refused then too.
func TLSConfig(a *ca.Authority,
	getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	hints := x509.NewCertPool()
	hints.AddCert(a.Root())
	hints.AddCert(a.Intermediate())

	return &tls.Config{
		// Under TLS 1.2 a client's identity certificate, which names the
		// user, would cross the network in clear.
		MinVersion:     tls.VersionTLS13,
		GetCertificate: getCert,
		ClientAuth:     tls.RequestClientCert,
		// ClientCAs is not used to verify under RequestClientCert; it
		// tells clients which certificates to offer.
		ClientCAs: hints,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyClientChain(a, cs.PeerCertificates, time.Now())
		},
	}
}

// verifyClientChain checks that a client certificate, when there is one,
// is a client certificate a signed, valid at now. Which kind it is, and
// whose, is for the handler to judge.
func verifyClientChain(a *ca.Authority, chain []*x509.Certificate, now time.Time) error {
	if len(chain) == 0 {
		return nil
	}
	if _, err := a.Verify(chain, now); err != nil {
		return fmt.Errorf("client certificate %q: %w", chain[0].Subject, err)
	}
	return nil
}

// authenticate returns the enabled user whose current identity
// certificate r was made with. Everything else is refused: no certificate,
// one that this CA did not sign for a client, a grant certificate, an
// unknown or disabled user, and an identity certificate the user has
// retired by renewing it or enrolling again.
func (s *server) authenticate(r *http.Request) (grants.User, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return grants.User{}, newError(http.StatusUnauthorized, nil,
			"client certificate required")
	}

	leaf := r.TLS.PeerCertificates[0]
	claims, err := s.ca.Verify(r.TLS.PeerCertificates, s.now())
	if err != nil {
		return grants.User{}, newError(http.StatusUnauthorized, err,
			"client certificate not accepted")
	}
	if err := checkKind(claims.Kind); err != nil {
		return grants.User{}, err
	}

	u, err := s.enabledUser(r, claims.User)
	if err != nil {
		return grants.User{}, err
	}
	if u.IdentityRetired(ca.IssuedAt(leaf)) {
		return grants.User{}, newError(http.StatusUnauthorized, nil,
			"identity certificate of %s was replaced by a newer one; "+
				"log in again with a new enrolment token", u.Name)
	}
	return u, nil
}

// checkKind refuses any certificate but an identity certificate.
func checkKind(k ca.Kind) error {
	switch k {
	case ca.KindIdentity:
		return nil
	case ca.KindGrant:
		return newError(http.StatusUnauthorized, nil,
			"grant certificates are not accepted here, use an identity certificate")
	}
	return newError(http.StatusUnauthorized, fmt.Errorf("certificate kind %q", k),
		"client certificate not accepted")
}

// enabledUser returns the user name, refusing an unknown or disabled one.
func (s *server) enabledUser(r *http.Request, name string) (grants.User, error) {
	u, err := s.svc.User(r.Context(), name)
	if errors.Is(err, grants.ErrNotFound) {
		return grants.User{}, newError(http.StatusUnauthorized, err,
			"user %s is not known", name)
	}
	if err != nil {
		return grants.User{}, fmt.Errorf("look up user %s: %w", name, err)
	}

	if u.Disabled {
		return grants.User{}, newError(http.StatusForbidden, nil,
			"user %s is disabled", name)
	}
	return u, nil
}

// authorise refuses u unless u holds role; the empty role lets anyone in.
func authorise(u grants.User, role grants.Role) error {
	if role == "" || u.Has(role) {
		return nil
	}
	return newError(http.StatusForbidden, nil, "this needs the %s role", role)
}

// notFound is the answer about a request or grant, of kind, that does not
// exist or that the caller may not see. It is worded alike for both, so
// that it does not tell whether an ID exists. The message names the
// object only, as errorFrom's do for grants.ErrNotFound: the status already
// says "not found", and the client prints both.
func notFound(kind, id string, cause error) error {
	return newError(http.StatusNotFound, cause, "%s %q", kind, id)
}

// mayView reports whether u may see an object belonging to owner: their
// own, or anyone's when they decide requests.
func mayView(u grants.User, owner string) bool {
	return owner == u.Name || u.Has(grants.RoleApprover)
}
