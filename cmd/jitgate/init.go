package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/config"
	"github.com/jitgate/jitgate/grants"
)

// adminProfileDir is where init writes the bootstrap admin's profile.
const adminProfileDir = "admin"

const initHelp = `Create a new jitgate in DIR: a root CA and its signing intermediate
(ECDSA P-256, keys readable by their owner only), the config file
DIR/jitgate.yaml with defaults and no resources, the store, and a bootstrap admin
profile in DIR/admin, so that JITGATE_HOME=DIR/admin jitgate ... acts as that
admin. init refuses a DIR that already holds a jitgate, or part of one, rather
than overwrite keys; an init that fails removes what it made.

The store is SQLite in DIR unless --postgres-dsn-file names a file, readable by
its owner only, holding a PostgreSQL connection string: then the config's store
block points at it, and the bootstrap admin is added to that database, for
several replicas to share.`

func newInitCommand() *cobra.Command {
	var dir, trustDomain, adminName, dsnFile string
	cmd := &cobra.Command{
		Use:   "init --dir DIR",
		Short: "Create a CA, a config file and a bootstrap admin in DIR",
		Long:  initHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := config.Default()
			cfg.TrustDomain = trustDomain
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("--trust-domain: %w", err)
			}
			if err := usePostgres(cfg, dsnFile); err != nil {
				return fmt.Errorf("--postgres-dsn-file: %w", err)
			}
			res, err := initialise(cmd.Context(), dir, cfg, adminName)
			if err != nil {
				return err
			}
			res.print(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "", "directory to create the jitgate in (required)")
	f.StringVar(&trustDomain, "trust-domain", config.DefaultTrustDomain, "trust domain of user identities")
	f.StringVar(&adminName, "admin-user", "admin", "name of the bootstrap admin")
	f.StringVar(&dsnFile, "postgres-dsn-file", "",
		"file holding a PostgreSQL connection string; default SQLite in DIR")
	// MarkFlagRequired fails only for a flag that does not exist.
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

// usePostgres points cfg's store at the PostgreSQL database whose
// connection string dsnFile holds, checking the file first so that a bad one
// leaves nothing behind; an empty dsnFile keeps SQLite.
func usePostgres(cfg *config.Config, dsnFile string) error {
	if dsnFile == "" {
		return nil
	}
	abs, err := filepath.Abs(dsnFile)
	if err != nil {
		return err
	}

	cfg.Store = config.Store{Driver: config.StorePostgres, DSNFile: abs}
	_, err = cfg.Store.ReadDSN()
	return err
}

// initResult is what init made and tells the operator.
type initResult struct {
	dir         string
	configPath  string
	adminHome   string
	fingerprint string
}

func (r initResult) print(w io.Writer) {
	fmt.Fprintf(w, "created jitgate in %s\n", r.dir)
	fmt.Fprintf(w, "  config:        %s\n", r.configPath)
	fmt.Fprintf(w, "  admin profile: JITGATE_HOME=%s\n", r.adminHome)
	fmt.Fprintf(w, "  CA fingerprint (for jitgate login --ca-fingerprint):\n    %s\n",
		r.fingerprint)
}

// initialise creates a jitgate in dir from cfg, refusing a dir in use.
// When a step fails, what the earlier ones made is removed again, so that
// init can be run once more on the same dir.
func initialise(ctx context.Context, dir string, cfg *config.Config,
	adminName string) (initResult, error) {
	// Refused before anything is written, so that a retry finds nothing.
	if err := grants.CheckUser(adminName, []grants.Role{grants.RoleAdmin}); err != nil {
		return initResult{}, fmt.Errorf("--admin-user: %w", err)
	}
	dir, was, err := prepareDir(dir)
	if err != nil {
		return initResult{}, err
	}
	res, err := create(ctx, dir, cfg, adminName)
	if err != nil {
		return initResult{}, errors.Join(err, undoInit(dir, was))
	}
	return res, nil
}

// create writes the CA, the config file, the store and the bootstrap
// admin's profile into dir, which prepareDir found free of them.
func create(ctx context.Context, dir string, cfg *config.Config,
	adminName string) (initResult, error) {
	auth, err := ca.Init(dir, cfg.TrustDomain)
	if err != nil {
		return initResult{}, err
	}
	res := initResult{
		dir:         dir,
		configPath:  filepath.Join(dir, config.FileName),
		adminHome:   filepath.Join(dir, adminProfileDir),
		fingerprint: ca.Fingerprint(auth.Root()),
	}
	if err := writeConfig(res.configPath, cfg); err != nil {
		return initResult{}, err
	}
	cfg.DataDir = dir
	err = withCore(auth, cfg, func(c *core) error {
		if err := c.refuseUsedStore(ctx); err != nil {
			return err
		}
		return c.bootstrap(ctx, adminName, []grants.Role{grants.RoleAdmin},
			res.adminHome, dialable(cfg.Listen.Admin))
	})
	return res, err
}

// refuseUsedStore refuses a store that already has users: another jitgate,
// whose users a second CA must not join. A fresh SQLite store is empty; a
// PostgreSQL database may not be.
func (c *core) refuseUsedStore(ctx context.Context) error {
	users, err := c.service.Users(ctx)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return errors.New("the store already holds the users of a jitgate; init needs " +
			"an empty database. A replica of that jitgate runs no init: it gets a " +
			"copy of its jitgate.yaml and ca/ (see \"Running several replicas\" in " +
			"the README)")
	}
	return nil
}

// initMade names what init makes in a data directory. prepareDir refuses
// a directory holding any of them, so undoInit removes only what init made.
var initMade = []string{config.FileName, "ca", adminProfileDir, lockFile,
	storeFile, storeFile + "-wal", storeFile + "-shm", storeFile + "-journal"}

// undoInit removes what a failed init made in dir and puts dir back as it
// was: removed when init created it (was is nil), its mode restored
// otherwise.
func undoInit(dir string, was fs.FileInfo) error {
	var errs []error
	for _, name := range initMade {
		errs = append(errs, os.RemoveAll(filepath.Join(dir, name)))
	}
	if was == nil {
		errs = append(errs, os.Remove(dir))
	} else {
		const modeBits = fs.ModePerm | fs.ModeSticky | fs.ModeSetgid | fs.ModeSetuid
		errs = append(errs, os.Chmod(dir, was.Mode()&modeBits))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("undo what init made in %s: %w", dir, err)
	}
	return nil
}

// prepareDir returns dir made absolute, created private when missing and
// made private otherwise, with what it was before: nil when it did not
// exist. It refuses a dir holding anything init makes, and changes
// nothing then.
func prepareDir(dir string) (abs string, was fs.FileInfo, err error) {
	abs, err = filepath.Abs(dir)
	if err != nil {
		return "", nil, fmt.Errorf("--dir: %w", err)
	}
	was, err = os.Stat(abs)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("--dir: %w", err)
	}
	for _, name := range initMade {
		path := filepath.Join(abs, name)
		if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
			return "", nil, fmt.Errorf("%s exists: %s already holds a jitgate, or "+
				"part of one; refusing to overwrite it", path, abs)
		}
	}

	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", nil, fmt.Errorf("--dir: %w", err)
	}
	// The directory holds the CA and the store: others have no business in it,
	// even when it existed before.
	if err := os.Chmod(abs, 0o700); err != nil { //nolint:gosec // a directory needs x
		return "", nil, errors.Join(fmt.Errorf("--dir: %w", err), undoInit(abs, was))
	}
	return abs, was, nil
}

func writeConfig(path string, cfg *config.Config) error {
	b, err := cfg.Marshal()
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write config: %w", err)
	}
	return f.Close()
}

// withCore opens the store of cfg's data directory around fn.
func withCore(auth *ca.Authority, cfg *config.Config, fn func(*core) error) error {
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer func() { _ = unlock() }()
	store, _, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	c, err := newCore(auth, store, cfg, zap.NewNop(), nil)
	if err != nil {
		return err
	}
	return fn(c)
}

// bootstrap adds a user and enrols them directly, writing their profile to
// home: the key is made here, on the operator's machine.
func (c *core) bootstrap(ctx context.Context, name string, roles []grants.Role,
	home, server string) error {
	token, err := c.service.AddUser(ctx, "init", name, roles)
	if err != nil {
		return err
	}
	key, err := newKey()
	if err != nil {
		return err
	}
	csrPEM, err := newCSR(key)
	if err != nil {
		return err
	}
	csr, err := ca.ParseCSR(csrPEM)
	if err != nil {
		return err
	}

	var certPEM []byte
	_, err = c.service.Enrol(ctx, token, func(u grants.User) error {
		cert, err := c.authority.SignIdentity(csr, u.Name, u.IdentitySince)
		if err != nil {
			return err
		}
		certPEM = ca.EncodePEM(cert)
		return nil
	})
	if err != nil {
		return fmt.Errorf("enrol %s: %w", name, err)
	}
	p := &profile{home: home, Server: server, User: name}
	enr := &admin.Enrolment{Certificate: certPEM, CA: c.authority.BundlePEM()}
	if err := p.saveIdentity(enr, key); err != nil {
		return err
	}
	return p.save()
}
