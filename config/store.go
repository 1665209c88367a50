package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/jitgate/jitgate/fileperm"
)

// The stores jitgate can keep users, requests, grants and the audit trail
// in.
const (
	// StoreSQLite is the file jitgate.db in the data directory, for one
	// process.
	StoreSQLite = "sqlite"
	// StorePostgres is a PostgreSQL database that several replicas share.
	StorePostgres = "postgres"
	// DefaultStoreDriver is the store when store.driver is left out.
	DefaultStoreDriver = StoreSQLite
)

// dsnForbiddenBits are the mode bits a DSN file must not have: it may hold
// a password, so only its owner may read or write it.
const dsnForbiddenBits = 0o077

// maxDSNSize bounds what ReadDSN reads.
const maxDSNSize = 64 << 10

// Store says where jitgate keeps its state.
type Store struct {
	// Driver is sqlite or postgres; empty means DefaultStoreDriver.
	Driver string `yaml:"driver,omitempty"`
	// DSNFile holds the PostgreSQL connection string (a URL or key=value
	// string), which may carry a password: it is read from a file only its
	// owner may read, never written in the config or on a command line.
	// Required for postgres, refused for sqlite. A relative path is taken
	// from the config file's directory.
	DSNFile string `yaml:"dsn_file,omitempty"`
}

// Postgres reports whether the store is a PostgreSQL database.
func (s Store) Postgres() bool {
	return s.Driver == StorePostgres
}

func (s Store) validate() error {
	switch s.Driver {
	case "", StoreSQLite:
		if s.DSNFile != "" {
			return fmt.Errorf("%w: store.dsn_file: only for driver postgres; "+
				"sqlite keeps its file in data_dir", ErrInvalid)
		}
	case StorePostgres:
		if s.DSNFile == "" {
			return fmt.Errorf("%w: store.dsn_file: required for driver postgres: "+
				"a file holding the connection string", ErrInvalid)
		}
	default:
		return invalid("store.driver", s.Driver, "sqlite or postgres")
	}
	return nil
}

// resolve makes a relative DSNFile relative to base, the config file's
// directory.
func (s *Store) resolve(base string) {
	if s.DSNFile != "" && !filepath.IsAbs(s.DSNFile) {
		s.DSNFile = filepath.Join(base, s.DSNFile)
	}
}

// ReadDSN returns the connection string DSNFile holds, without surrounding
// space. It refuses a file that anyone but its owner may read or write, and
// an empty one. Errors name the file, never what it holds.
func (s Store) ReadDSN() (string, error) {
	f, err := os.Open(s.DSNFile)
	if err != nil {
		return "", fmt.Errorf("store.dsn_file: %w", err)
	}
	defer f.Close()

	// The open file is checked, so the file read is the file checked.
	info, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("store.dsn_file: %w", err)
	}
	if mode := info.Mode().Perm(); mode&dsnForbiddenBits != 0 {
		return "", fmt.Errorf("%w: store.dsn_file: %s has mode %04o; want 0600 "+
			"or stricter, since it may hold a password", ErrInvalid, s.DSNFile,
			uint32(mode))
	}
	if err := fileperm.CheckOwner("store.dsn_file", s.DSNFile, info); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return readDSN(f, s.DSNFile)
}

func readDSN(r io.Reader, path string) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxDSNSize+1))
	if err != nil {
		return "", fmt.Errorf("store.dsn_file: read %s: %w", path, err)
	}
	dsn := strings.TrimSpace(string(b))
	switch {
	case len(b) > maxDSNSize:
		err = errors.New("is larger than a connection string can be")
	case dsn == "":
		err = errors.New("is empty; want a PostgreSQL connection string")
	}
	if err != nil {
		return "", fmt.Errorf("%w: store.dsn_file: %s %w", ErrInvalid, path, err)
	}
	return dsn, nil
}
