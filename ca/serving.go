package ca

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// ServingCertificates has the Authority issue, store and renew, through
// certmagic, serving certificates for names (DNS names and IP literals such
// as "localhost" and "127.0.0.1"). It returns once every name has a
// certificate, with a function for tls.Config.GetCertificate.
//
// A client that dials an IP address sends no server name; such a hello gets
// the certificate of the local address it arrived on when that is one of
// names, and that of names[0] otherwise. Certificates and their keys are
// kept under storageDir. Renewal runs until ctx is done.
func ServingCertificates(ctx context.Context, a *Authority, storageDir string,
	names []string, log *zap.Logger) (func(*tls.ClientHelloInfo) (*tls.Certificate, error),
	error) {
	if len(names) == 0 {
		return nil, errors.New("serving certificates: no names")
	}
	// certmagic narrates every lock, obtain and renewal at info; an operator
	// needs only its warnings and errors.
	log = log.Named("certmagic").WithOptions(zap.IncreaseLevel(zapcore.WarnLevel))

	// The cache asks for the config of a certificate when it renews one,
	// which may happen once the cache exists and before New returns.
	var current atomic.Pointer[certmagic.Config]
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) {
			if cfg := current.Load(); cfg != nil {
				return cfg, nil
			}
			return nil, errors.New("serving config not ready")
		},
		Logger: log,
	})
	cfg := certmagic.New(cache, servingConfig(a, storageDir, names[0], log))
	current.Store(cfg)

	stopCache := sync.OnceFunc(cache.Stop)
	unwatch := context.AfterFunc(ctx, stopCache)
	if err := cfg.ManageSync(ctx, names); err != nil {
		unwatch()
		stopCache()
		return nil, fmt.Errorf("serving certificates for %v: %w", names, err)
	}
	return cfg.GetCertificate, nil
}

// servingConfig makes the Authority the only issuer. A hello without a
// name, or with one no certificate is held for, gets defaultName's: the
// client then judges the name itself, rather than see the handshake fail
// with an internal error. Stapling is off because this CA runs no OCSP
// responder, and ARI is an ACME feature.
func servingConfig(a *Authority, storageDir, defaultName string,
	log *zap.Logger) certmagic.Config {
	return certmagic.Config{
		Issuers:            []certmagic.Issuer{a},
		Storage:            &certmagic.FileStorage{Path: storageDir},
		DefaultServerName:  defaultName,
		FallbackServerName: defaultName,
		OCSP:               certmagic.OCSPConfig{DisableStapling: true},
		DisableARI:         true,
		Logger:             log,
	}
}
