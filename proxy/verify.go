package proxy

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
)

// verifiedLeaf is a cached chain verification: the claims of a leaf and the
// end of the leaf's validity, after which the entry is a miss.
type verifiedLeaf struct {
	claims   ca.Claims
	notAfter time.Time
}

// verifyCache verifies client chains through an LRU keyed by the SHA-256 of
// the raw leaf. crypto/tls checks the client's CertificateVerify signature on
// every full handshake, so a hit still proves possession of the key. Failures
// are not cached. It is safe for concurrent use.
type verifyCache struct {
	verifier Verifier
	leaves   *lru.Cache[[sha256.Size]byte, verifiedLeaf]
}

// newVerifyCache returns a cache of size entries in front of v.
func newVerifyCache(v Verifier, size int) (*verifyCache, error) {
	leaves, err := lru.New[[sha256.Size]byte, verifiedLeaf](size)
	if err != nil {
		return nil, fmt.Errorf("verify cache: %w", err)
	}
	return &verifyCache{verifier: v, leaves: leaves}, nil
}

// claims returns the claims of chain[0] when the chain verifies at now, and
// a *denial otherwise. chain must not be empty.
func (v *verifyCache) claims(chain []*x509.Certificate,
	now time.Time) (ca.Claims, error) {
	leaf := chain[0]
	key := sha256.Sum256(leaf.Raw)
	if hit, ok := v.leaves.Get(key); ok {
		if !now.After(hit.notAfter) {
			return hit.claims, nil
		}
		v.leaves.Remove(key)
	}

	switch {
	case now.After(leaf.NotAfter):
		return ca.Claims{}, &denial{reason: reasonExpiredCert}
	case now.Before(leaf.NotBefore):
		return ca.Claims{}, &denial{reason: reasonCertNotYetValid}
	}

	claims, err := v.verifier.Verify(chain, now)
	if err != nil {
		return ca.Claims{}, &denial{reason: reasonForeignCA, cause: err}
	}
	v.leaves.Add(key, verifiedLeaf{claims: claims, notAfter: leaf.NotAfter})
	return claims, nil
}

// tlsConfig returns the configuration of one listener. fixed is the resource
// of a dedicated listener, "" for the shared one.
func (s *Server) tlsConfig(fixed string) *tls.Config {
	return &tls.Config{
		MinVersion: s.minVersion,
		// RequireAnyClientCert would refuse a client without a certificate
		// inside crypto/tls, before VerifyConnection, with an error that
		// cannot be told from a dropped connection. Asking for one and
		// refusing in admit keeps every refusal, and its reason, in one place.
		ClientAuth: tls.RequestClientCert,
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			return s.servingCert(hello, fixed)
		},
		CurvePreferences: s.curves,
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, err := s.admit(cs, fixed)
			return err
		},
	}
}

// servingCert returns the certificate to present to hello. On the shared
// listener a name that no resource has is refused here, before anything
// is looked up for it: no certificate and no error, which crypto/tls
// answers with an unrecognized_name alert (any error would be an
// internal_error), and which handshake records as an unknown resource. A
// hello without a name gets the listener's certificate and is refused
// once its client certificate is seen.
func (s *Server) servingCert(hello *tls.ClientHelloInfo, fixed string) (*tls.Certificate, error) {
	if unknownName(s, hello.ServerName, fixed) {
		return nil, nil
	}
	return s.getCertificate(hello)
}

// unknownName reports whether serverName, sent to the shared listener,
// is the hostname of no resource.
func unknownName(s *Server, serverName, fixed string) bool {
	if fixed != "" || serverName == "" {
		return false
	}
	_, ok := s.resourceOf(serverName, "")
	return !ok
}

// admit is the inline check of one handshake, full or resumed. It returns
// the claims of an admitted client, or a *denial. fixed is the resource of
// a dedicated listener, "" for the shared one. crypto/tls calls it before
// it checks the client's proof of holding the certificate's key, so admit
// counts no session: that waits for the end of the handshake.
func (s *Server) admit(cs tls.ConnectionState, fixed string) (ca.Claims, error) {
	if len(cs.PeerCertificates) == 0 {
		return ca.Claims{}, &denial{reason: reasonNoCert}
	}

	now := s.now()
	claims, err := s.verified.claims(cs.PeerCertificates, now)
	if err != nil {
		return claims, err
	}

	switch claims.Kind {
	case ca.KindGrant:
	case ca.KindIdentity:
		return claims, &denial{reason: reasonIdentityCert, claims: claims}
	default:
		cause := fmt.Errorf("certificate kind %q", claims.Kind)
		return claims, &denial{reason: reasonForeignCA, claims: claims, cause: cause}
	}

	resource, ok := s.resourceOf(cs.ServerName, fixed)
	switch {
	case !ok:
		return claims, &denial{reason: reasonUnknownResource, claims: claims}
	case claims.Resource != resource:
		cause := fmt.Errorf("grant is for resource %q", claims.Resource)
		return claims, &denial{reason: reasonWrongResource, claims: claims, cause: cause}
	}

	if err := s.checker.Check(claims.GrantID, claims.User, resource, now); err != nil {
		return claims, &denial{reason: grants.Reason(err), claims: claims, cause: err}
	}
	return claims, nil
}

// resourceOf names the resource a connection is for: fixed on a dedicated
// listener, the resource whose hostname is serverName on the shared one.
func (s *Server) resourceOf(serverName, fixed string) (string, bool) {
	if fixed != "" {
		return fixed, true
	}
	name, ok := s.byHost[strings.ToLower(serverName)]
	return name, ok
}
