package grants

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// dialect is what differs between the databases an SQLStore runs on. The
// queries themselves are shared and written with ? placeholders.
type dialect struct {
	goose goose.Dialect
	// dir is the directory under migrations holding this dialect's schema.
	dir string
	// numbered rewrites ? placeholders to $1, $2, ...
	numbered bool
	// writeLock, when set, runs first in every Update so that writers
	// queue behind each other across connections and processes.
	writeLock string
	// sessionLock makes schema migrations take a database-wide lock so
	// that replicas starting together migrate once.
	sessionLock bool
}

// bind rewrites q's placeholders for the dialect.
func (d *dialect) bind(q string) string {
	if !d.numbered {
		return q
	}

	var b strings.Builder
	n := 0
	for _, r := range q {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// SQLStore is a Store over database/sql: SQLite through OpenSQLite,
// PostgreSQL through OpenPostgres. Writers are serialized, so two
// transactions never both act on the same pending request. It is safe for
// concurrent use.
type SQLStore struct {
	write *sql.DB
	read  *sql.DB
	d     *dialect
}

// newSQLStore migrates the schema through write and returns the store.
// On error it closes both pools.
func newSQLStore(write, read *sql.DB, d *dialect) (*SQLStore, error) {
	s := &SQLStore{write: write, read: read, d: d}

	if err := s.migrate(context.Background()); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// migrate applies every migration of the dialect that is not yet applied.
func (s *SQLStore) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations/"+s.d.dir)
	if err != nil {
		return fmt.Errorf("open migrations: %w", err)
	}

	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if s.d.sessionLock {
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}

	p, err := goose.NewProvider(s.d.goose, s.write, fsys, opts...)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

// Update runs fn in one read-write transaction, after every earlier writer
// has finished, and commits when fn returns nil. fn's error is returned as
// is.
func (s *SQLStore) Update(ctx context.Context, fn func(Tx) error) error {
	return s.run(ctx, s.write, nil, s.d.writeLock, fn)
}

// View runs fn in a read-only transaction.
func (s *SQLStore) View(ctx context.Context, fn func(Tx) error) error {
	return s.run(ctx, s.read, &sql.TxOptions{ReadOnly: true}, "", fn)
}

func (s *SQLStore) run(ctx context.Context, db *sql.DB, opts *sql.TxOptions,
	first string, fn func(Tx) error) error {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// Rolling back after a commit is a no-op; this covers errors and panics.
	defer func() { _ = tx.Rollback() }()

	if first != "" {
		if _, err := tx.ExecContext(ctx, first); err != nil {
			return fmt.Errorf("take write lock: %w", err)
		}
	}

	if err := fn(&sqlTx{ctx: ctx, tx: tx, d: s.d}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Close closes the store's connections. It may be called more than once.
func (s *SQLStore) Close() error {
	if s.read == s.write {
		return s.write.Close()
	}
	return errors.Join(s.write.Close(), s.read.Close())
}
