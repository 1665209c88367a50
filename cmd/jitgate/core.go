package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
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
	// feed brings other replicas' grant changes into table; nil with
	// SQLite, whose one process makes every change itself.
	feed *grants.Feed
	// holder names this process in the store's webhook leases; empty with
	// SQLite, which needs none.
	holder string
	unlock func() error
}

// openCore loads the CA, locks cfg's data directory and opens the store
// cfg names. The CA and the serving certificates stay in the data
// directory even when the store is a database other replicas share.
func openCore(ctx context.Context, cfg *config.Config, log *zap.Logger,
	rec grants.Recorder) (*core, error) {
	auth, err := ca.Load(cfg.DataDir, cfg.TrustDomain)
	if err != nil {
		return nil, err
	}
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	c, err := openServing(ctx, auth, cfg, log, rec)
	if err != nil {
		_ = unlock()
		return nil, err
	}
	c.unlock = unlock
	return c, nil
}

// openServing opens the store and builds a core on it that can serve: on
// a shared store, with a grant feed and a lease holder name.
func openServing(ctx context.Context, auth *ca.Authority, cfg *config.Config,
	log *zap.Logger, rec grants.Recorder) (*core, error) {
	store, dsn, err := openStore(cfg)
	if err != nil {
		return nil, err
	}

	c, err := newCore(auth, store, cfg, log, rec)
	if err == nil && dsn != "" {
		err = c.joinFleet(ctx, dsn, log)
	}
	if err != nil {
		return nil, errors.Join(err, store.Close())
	}
	log.Info("store opened", zap.String("store", storeDriver(cfg)))
	return c, nil
}

// openStore opens the store cfg names, and returns with it the connection
// string that a grant feed needs, empty for SQLite.
func openStore(cfg *config.Config) (grants.Store, string, error) {
	if !cfg.Store.Postgres() {
		if err := checkSQLiteFile(cfg); err != nil {
			return nil, "", err
		}
		store, err := grants.OpenSQLite(filepath.Join(cfg.DataDir, storeFile))
		if err != nil {
			return nil, "", err
		}
		return store, "", nil
	}

	dsn, err := cfg.Store.ReadDSN()
	if err != nil {
		return nil, "", err
	}
	store, err := grants.OpenPostgres(dsn)
	if err != nil {
		return nil, "", fmt.Errorf("store: %w", err)
	}
	return store, dsn, nil
}

// checkSQLiteFile refuses a SQLite store that group or others may write.
func checkSQLiteFile(cfg *config.Config) error {
	return config.CheckNotWritableByOthers("store", filepath.Join(cfg.DataDir, storeFile))
}

func storeDriver(cfg *config.Config) string {
	if cfg.Store.Driver == "" {
		return config.DefaultStoreDriver
	}
	return cfg.Store.Driver
}

// joinFleet readies c to share its store with other replicas: a Feed that
// brings their grant changes into c's Table, and a name for the webhook
// leases, unique even among containers that share a host name and PID.
func (c *core) joinFleet(ctx context.Context, dsn string, log *zap.Logger) error {
	feed, err := grants.NewFeed(ctx, grants.FeedOptions{
		DSN: dsn, Store: c.store, Table: c.table,
		Logger: log.Named("grants").Named("feed"),
	})
	if err != nil {
		return err
	}

	host, _ := os.Hostname()
	c.feed = feed
	c.holder = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:8])
	return nil
}

// runFeed applies other replicas' grant changes until ctx ends; with
// SQLite it returns at once.
func (c *core) runFeed(ctx context.Context) {
	if c.feed != nil {
		c.feed.Run(ctx)
	}
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

		IdentityLifetime: ca.IdentityLifetime,
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
