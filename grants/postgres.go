package grants

import (
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
)

// postgresWriteLock is the advisory lock key every Update takes, so that
// writers on all replicas queue behind each other ("jitgate" in ASCII).
const postgresWriteLock = 0x6a69746761746500

var postgresDialect = dialect{
	goose:       goose.DialectPostgres,
	dir:         "postgres",
	numbered:    true,
	writeLock:   fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", postgresWriteLock),
	sessionLock: true,
}

// OpenPostgres connects to the PostgreSQL database at dsn (a URL or
// key=value string understood by pgx) and brings its schema up to date.
// Every Update takes one transaction-scoped advisory lock, so writers from
// every replica are serialized and audit events commit in Seq order.
// Several replicas may share the database: a Feed on each brings the
// others' grant changes into its Table.
func OpenPostgres(dsn string) (*SQLStore, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}

	s, err := newSQLStore(db, db, &postgresDialect)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return s, nil
}
