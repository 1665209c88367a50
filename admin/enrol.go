package admin

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
)

// getCA answers GET /v1/ca with the CA bundle and the root's fingerprint,
// which a new user checks against the one their admin gave them.
func (s *server) getCA(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, caBody{
		Bundle:          string(s.ca.BundlePEM()),
		RootFingerprint: ca.Fingerprint(s.ca.Root()),
	})
}

// enrol answers POST /v1/enroll: it redeems a one-time token for an
// identity certificate. The CSR is checked before the token is spent, and
// the token is spent only if the certificate was signed.
func (s *server) enrol(w http.ResponseWriter, r *http.Request) error {
	var b enrolBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if b.Token == "" {
		return newError(http.StatusBadRequest, nil, "invalid token: required")
	}
	csr, err := parseCSR(b.CSR)
	if err != nil {
		return err
	}

	var cert *x509.Certificate
	u, err := s.svc.Enrol(r.Context(), b.Token, func(u grants.User) error {
		var signErr error
		cert, signErr = s.signIdentity(csr, u)
		return signErr
	})
	if errors.Is(err, grants.ErrNotFound) {
		return newError(http.StatusUnauthorized, err,
			"invalid or expired enrolment token")
	}
	if err != nil {
		return err
	}

	entryOf(r.Context()).user = u.Name
	return writeJSON(w, http.StatusOK, s.enrolment(cert, u))
}

// renew answers POST /v1/renew: an enrolled user trades a CSR for a fresh
// identity certificate while the service allows renewal. The certificate
// the user called with is retired: only the new one works from now on.
func (s *server) renew(w http.ResponseWriter, r *http.Request, u grants.User) error {
	var b renewBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	csr, err := parseCSR(b.CSR)
	if err != nil {
		return err
	}

	var cert *x509.Certificate
	issued := ca.IssuedAt(r.TLS.PeerCertificates[0])
	u, err = s.svc.Renew(r.Context(), u.Name, issued, func(u grants.User) error {
		var signErr error
		cert, signErr = s.signIdentity(csr, u)
		return signErr
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.enrolment(cert, u))
}

// signIdentity signs an identity certificate for u issued at
// u.IdentitySince, the time the service retires older ones by.
func (s *server) signIdentity(csr *x509.CertificateRequest,
	u grants.User) (*x509.Certificate, error) {
	cert, err := s.ca.SignIdentity(csr, u.Name, u.IdentitySince)
	if err != nil {
		return nil, fmt.Errorf("sign identity certificate for %s: %w", u.Name, err)
	}
	return cert, nil
}

// enrolment is the answer to enrol and renew.
func (s *server) enrolment(cert *x509.Certificate, u grants.User) enrolmentBody {
	return enrolmentBody{
		Certificate: pemCertificate(cert.Raw),
		CA:          string(s.ca.BundlePEM()),
		User:        userView(u),
	}
}

// whoami answers GET /v1/whoami with the caller.
func (s *server) whoami(w http.ResponseWriter, _ *http.Request, u grants.User) error {
	return writeJSON(w, http.StatusOK, userView(u))
}

// listResources answers GET /v1/resources with the resources the caller
// may request under the policies in force, ordered by name, each with its
// policy.
func (s *server) listResources(w http.ResponseWriter, _ *http.Request,
	u grants.User) error {
	list := []ResourceInfo{}
	for _, res := range s.svc.Resources() {
		if !res.Policy.MayRequest(u) {
			continue
		}
		info := s.resources[res.Name]
		info.Name, info.Policy = res.Name, PolicyViewOf(res.Policy)
		list = append(list, info)
	}
	return writeJSON(w, http.StatusOK, list)
}

// parseCSR reads the PEM CSR of a request body; its errors name the field.
func parseCSR(text string) (*x509.CertificateRequest, error) {
	if text == "" {
		return nil, newError(http.StatusBadRequest, nil, "invalid csr: required")
	}

	csr, err := ca.ParseCSR([]byte(text))
	if err != nil {
		return nil, newError(http.StatusBadRequest, err, "invalid csr: %v", err)
	}
	return csr, nil
}

// pemCertificate encodes a DER certificate as PEM.
func pemCertificate(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
