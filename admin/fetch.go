package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/jitgate/jitgate/ca"
)

// FetchCA gets the CA bundle from the admin API at addr without trusting
// the server yet, then trusts it only if the bundle's root has the SHA-256
// fingerprint given (as ca.ParseFingerprint returns it) and the server's
// own certificate chains to that root and names the host of addr. It
// returns the bundle PEM. A root with another fingerprint is
// ErrFingerprintMismatch.
func FetchCA(ctx context.Context, addr string, fingerprint []byte) ([]byte, error) {
	if len(fingerprint) != sha256.Size {
		return nil, fmt.Errorf("fetch CA: fingerprint has %d bytes, want %d",
			len(fingerprint), sha256.Size)
	}
	host, port, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}

	body, served, err := getUntrusted(ctx, net.JoinHostPort(host, port))
	if refusedHandshake(err) {
		return nil, fmt.Errorf("fetch CA from %s: %w: the admin API serves the CA "+
			"to anyone, so this looks like jitgate's proxy; give the admin API's "+
			"address (listen.admin in jitgate.yaml, port 8444 by default)", addr, err)
	}
	if err != nil {
		return nil, fmt.Errorf("fetch CA from %s: %w", addr, err)
	}
	bundle := []byte(body.Bundle)
	if err := checkBundle(bundle, fingerprint, served, host); err != nil {
		return nil, fmt.Errorf("fetch CA from %s: %w", addr, err)
	}
	return bundle, nil
}

// refusedHandshake reports whether err is a TLS alert from the server, as
// jitgate's proxy sends a client that names no resource or shows no
// certificate.
func refusedHandshake(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// getUntrusted reads GET /v1/ca without verifying the server, and returns
// the chain the server presented so that it can be checked afterwards.
// Nothing secret is sent.
func getUntrusted(ctx context.Context,
	hostport string) (caBody, []*x509.Certificate, error) {
	transport := &http.Transport{
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS13,
			// The server is checked by checkBundle, against the pinned
			// root, before anything it said is used.
			InsecureSkipVerify: true, //nolint:gosec // see above
		},
	}
	defer transport.CloseIdleConnections()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		"https://"+hostport+"/v1/ca", nil)
	if err != nil {
		return caBody{}, nil, err
	}
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		return caBody{}, nil, err
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return caBody{}, nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return caBody{}, nil, apiError(resp.StatusCode, raw)
	}

	var body caBody
	if err := json.Unmarshal(raw, &body); err != nil {
		return caBody{}, nil, fmt.Errorf("decode answer: %w", err)
	}
	return body, resp.TLS.PeerCertificates, nil
}

// checkBundle checks that bundle's root has fingerprint and that the
// served chain is a server certificate for host under that root.
func checkBundle(bundle, fingerprint []byte, served []*x509.Certificate,
	host string) error {
	certs, err := parseBundle(bundle)
	if err != nil {
		return err
	}
	root, err := pinnedRoot(certs, fingerprint)
	if err != nil {
		return err
	}
	if len(served) == 0 {
		return errors.New("server presented no certificate")
	}

	roots := x509.NewCertPool()
	roots.AddCert(root)
	intermediates := x509.NewCertPool()
	for _, c := range certs {
		intermediates.AddCert(c)
	}
	for _, c := range served[1:] {
		intermediates.AddCert(c)
	}
	_, err = served[0].Verify(x509.VerifyOptions{
		DNSName:       host,
		Roots:         roots,
		Intermediates: intermediates,
	})
	if err != nil {
		return fmt.Errorf("server certificate does not chain to the pinned root: %w", err)
	}
	return nil
}

// pinnedRoot returns the root of certs, which must have fingerprint.
func pinnedRoot(certs []*x509.Certificate,
	fingerprint []byte) (*x509.Certificate, error) {
	var seen []string
	for _, c := range certs {
		if !isRoot(c) {
			continue
		}
		sum := sha256.Sum256(c.Raw)
		if subtle.ConstantTimeCompare(sum[:], fingerprint) == 1 {
			return c, nil
		}
		seen = append(seen, ca.Fingerprint(c))
	}

	if len(seen) == 0 {
		return nil, errors.New("CA bundle holds no root certificate")
	}
	return nil, fmt.Errorf("%w: expected %s but the server's root is %s; this may "+
		"not be your jitgate: do not log in, and confirm the fingerprint with its admin",
		ErrFingerprintMismatch, colonHex(fingerprint), strings.Join(seen, ", "))
}

// colonHex writes b as upper-case hex pairs joined by colons, the form
// ca.Fingerprint uses.
func colonHex(b []byte) string {
	pairs := make([]string, len(b))
	for i, v := range b {
		pairs[i] = fmt.Sprintf("%02X", v)
	}
	return strings.Join(pairs, ":")
}
