package grants

import (
	"database/sql"
	"errors"
	"fmt"
	"os"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sqliteBusyTimeout is how long, in milliseconds, a connection waits for
// another process's lock on the file before giving up.
const sqliteBusyTimeout = 5000

// sqliteReaders caps the read-only connections; WAL lets them read while
// the one writer writes.
const sqliteReaders = 4

var sqliteDialect = dialect{goose: goose.DialectSQLite3, dir: "sqlite"}

// OpenSQLite opens, creating if needed, the SQLite database at path and
// brings its schema up to date. The database runs in WAL mode with
// synchronous=FULL, so a commit is on disk when Update returns. Writes go
// through one connection and begin IMMEDIATE, which serializes writers in
// this process and against other processes sharing the file.
func OpenSQLite(path string) (*SQLStore, error) {
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)

	read, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		err = errors.Join(err, write.Close())
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read.SetMaxOpenConns(sqliteReaders)

	s, err := newSQLStore(write, read, &sqliteDialect)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return s, nil
}

// createPrivate creates an empty database file readable by its owner alone,
// unless it exists. SQLite gives its -wal and -shm files the same mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// sqliteDSN returns the connection string for path. Read-only connections
// refuse writes so that View cannot change anything.
func sqliteDSN(path string, readOnly bool) string {
	dsn := fmt.Sprintf("%s?_busy_timeout=%d&_journal_mode=WAL&_synchronous=FULL"+
		"&_foreign_keys=1", path, sqliteBusyTimeout)
	if readOnly {
		return dsn + "&_query_only=1"
	}
	return dsn + "&_txlock=immediate"
}
