package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/config"
	"github.com/jitgate/jitgate/grants"
)

// Sizes and files of the core that serve and init open.
const (
	// storeFile is the SQLite database inside the data directory.
	storeFile = "jitgate.db"
	// certsDir holds the serving certificates certmagic manages.
	certsDir = "certs"
	// grantCacheSize is how many grant decisions the Table keeps cached.
	grantCacheSize = 100_000
)

// core is the CA, the store and the grant logic of one data directory.
type core struct {
	authority *ca.Authority
	store     grants.Store
	table     *grants.Table
	service   *grants.Service
	unlock    func() error
}

// openCore loads the CA and opens the store of cfg's data directory.
func openCore(cfg *config.Config, log *zap.Logger, rec grants.Recorder) (*core, error) {
	auth, err := ca.Load(cfg.DataDir, cfg.TrustDomain)
	if err != nil {
		return nil, err
	}
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	store, err := grants.OpenSQLite(filepath.Join(cfg.DataDir, storeFile))
	if err != nil {
		unlock()
		return nil, err
	}
	c, err := newCore(auth, store, cfg, log, rec)
	if err != nil {
		store.Close()
		unlock()
		return nil, err
	}
	c.unlock = unlock
	return c, nil
}

func newCore(auth *ca.Authority, store grants.Store, cfg *config.Config,
	log *zap.Logger, rec grants.Recorder) (*core, error) {
	table, err := grants.NewTable(store, grantCacheSize)
	if err != nil {
		return nil, fmt.Errorf("load grant table: %w", err)
	}
	svc, err := grants.NewService(grants.Options{
		Store:     store,
		Signer:    grantSigner{auth},
		Table:     table,
		Resources: serviceResources(cfg),
		Logger:    log.Named("grants"),
		Recorder:  rec,
	})
	if err != nil {
		return nil, err
	}
	return &core{authority: auth, store: store, table: table, service: svc}, nil
}

// Close closes the store and releases the data directory.
func (c *core) Close() error {
	err := c.store.Close()
	if c.unlock != nil {
		err = errors.Join(err, c.unlock())
	}
	return err
}

func serviceResources(cfg *config.Config) []grants.Resource {
	out := make([]grants.Resource, 0, len(cfg.Resources))
	for _, r := range cfg.Resources {
		out = append(out, grants.Resource{Name: r.Name, Policy: r.Policy.Policy})
	}
	return out
}

// grantSigner lets the grants service sign through the CA without either
// package knowing the other.
type grantSigner struct{ authority *ca.Authority }

func (s grantSigner) SignGrant(csrDER []byte, g grants.Grant) ([]byte, error) {
	csr, err := ca.ParseCSR(csrDER)
	if err != nil {
		return nil, err
	}
	claims := ca.GrantClaims{
		User: g.User, GrantID: g.ID, Resource: g.Resource, NotAfter: g.NotAfter,
	}
	cert, err := s.authority.SignGrant(csr, claims, time.Now())
	if err != nil {
		return nil, err
	}
	return cert.Raw, nil
}

func loadAuthority(cfg *config.Config) (*ca.Authority, error) {
	return ca.Load(cfg.DataDir, cfg.TrustDomain)
}
