package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/jitgate/jitgate/admin"
)

// connect returns an admin API client acting as the profile's user. An
// identity certificate with less than a third of its life left is renewed
// first; a failed renewal only warns while the old one still works.
func (p *profile) connect(ctx context.Context) (*admin.Client, error) {
	cert, err := p.identity()
	if err != nil {
		return nil, err
	}
	if due(cert.Leaf, time.Now()) {
		cert = p.renewOrReload(ctx, cert)
	}
	return p.client(cert)
}

// renewOrReload renews cert. When that fails because another jitgate
// command renewed it first, the server has retired cert: the one that
// command wrote is used instead. Otherwise cert stays, with a warning.
func (p *profile) renewOrReload(ctx context.Context, cert *tls.Certificate) *tls.Certificate {
	renewed, err := p.renew(ctx, cert)
	if err == nil {
		return renewed
	}
	if fresh, ferr := p.identity(); ferr == nil && fresh.Leaf.NotBefore.After(cert.Leaf.NotBefore) {
		return fresh
	}
	fmt.Fprintf(os.Stderr, "warning: identity certificate not renewed: %v\n", err)
	return cert
}

func (p *profile) identity() (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(p.path(identityCert), p.path(identityKey))
	if err != nil {
		return nil, fmt.Errorf("load identity certificate: %w", err)
	}
	if time.Now().After(cert.Leaf.NotAfter) {
		return nil, fmt.Errorf("identity certificate expired at %s: run jitgate login "+
			"with a new enrolment token", cert.Leaf.NotAfter.Format(time.RFC3339))
	}
	return &cert, nil
}

func (p *profile) client(cert *tls.Certificate) (*admin.Client, error) {
	bundle, err := os.ReadFile(p.path(caBundleFile))
	if err != nil {
		return nil, fmt.Errorf("read ca bundle: %w", err)
	}
	return admin.NewClient(p.Server, bundle, cert)
}

// due reports whether less than a third of leaf's life is left at now.
func due(leaf *x509.Certificate, now time.Time) bool {
	life := leaf.NotAfter.Sub(leaf.NotBefore)
	return leaf.NotAfter.Sub(now) < life/3
}

// renew swaps the identity certificate for a new one on a fresh key.
func (p *profile) renew(ctx context.Context, old *tls.Certificate) (*tls.Certificate, error) {
	c, err := p.client(old)
	if err != nil {
		return nil, err
	}
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	csr, err := newCSR(key)
	if err != nil {
		return nil, err
	}
	enr, err := c.Renew(ctx, csr)
	if err != nil {
		return nil, err
	}
	if err := p.saveIdentity(enr, key); err != nil {
		return nil, err
	}
	return p.identity()
}
