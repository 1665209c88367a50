package grants

import (
	"crypto/rand"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// postgresEnv names the variable holding the DSN of a PostgreSQL database
// the tests may create schemas in.
const postgresEnv = "JITGATE_TEST_POSTGRES"

// sqliteBackend makes a fresh SQLite file in a temporary directory.
func sqliteBackend(tb testing.TB) storeOpener {
	path := filepath.Join(tb.TempDir(), "jitgate.db")
	return func(tb testing.TB) Store {
		return openSQLite(tb, path)
	}
}

func openSQLite(tb testing.TB, path string) *SQLStore {
	tb.Helper()
	s, err := OpenSQLite(path)
	require.NoError(tb, err)
	tb.Cleanup(func() { assert.NoError(tb, s.Close()) })
	return s
}

// postgresBackend makes a fresh schema in the database named by
// JITGATE_TEST_POSTGRES and drops it when tb ends.
func postgresBackend(tb testing.TB) storeOpener {
	scoped := postgresSchema(tb)
	return func(tb testing.TB) Store {
		return openPostgres(tb, scoped)
	}
}

// postgresSchema makes a fresh schema in the database named by
// JITGATE_TEST_POSTGRES, drops it when tb ends, and returns a DSN whose
// search_path is that schema. It skips tb when the variable is unset.
func postgresSchema(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		tb.Skipf("set %s to a PostgreSQL DSN to run the PostgreSQL half", postgresEnv)
	}

	admin, err := sql.Open("pgx", dsn)
	require.NoError(tb, err)
	schema := "jitgate_test_" + strings.ToLower(rand.Text())
	_, err = admin.ExecContext(tb.Context(), "CREATE SCHEMA "+schema)
	require.NoError(tb, err)
	tb.Cleanup(func() {
		_, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		assert.NoError(tb, err)
		assert.NoError(tb, admin.Close())
	})
	return withSearchPath(dsn, schema)
}

func openPostgres(tb testing.TB, dsn string) *SQLStore {
	tb.Helper()
	s, err := OpenPostgres(dsn)
	require.NoError(tb, err)
	tb.Cleanup(func() { assert.NoError(tb, s.Close()) })
	return s
}

// withSearchPath points dsn, URL or key=value, at schema.
func withSearchPath(dsn, schema string) string {
	switch {
	case !strings.Contains(dsn, "://"):
		return dsn + " search_path=" + schema
	case strings.Contains(dsn, "?"):
		return dsn + "&search_path=" + schema
	}
	return dsn + "?search_path=" + schema
}

func TestSQLiteStoreContract(t *testing.T) {
	runStoreContract(t, sqliteBackend)
}

func TestPostgresStoreContract(t *testing.T) {
	if os.Getenv(postgresEnv) == "" {
		t.Skipf("set %s to a PostgreSQL DSN to run the PostgreSQL half", postgresEnv)
	}
	runStoreContract(t, postgresBackend)
}

func TestSQLiteFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jitgate.db")
	s := openSQLite(t, path)
	require.NoError(t, s.Update(t.Context(), func(tx Tx) error {
		return tx.AppendEvent(Event{At: time.Now(), Actor: "t", Action: "test"})
	}))

	for _, name := range []string{path, path + "-wal"} {
		info, err := os.Stat(name)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), name)
	}
}

func TestSQLiteSettings(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "jitgate.db"))

	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"},
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
	}
	for _, tc := range tests {
		t.Run(tc.pragma, func(t *testing.T) {
			var got string
			err := s.write.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestBind(t *testing.T) {
	q := "SELECT a FROM t WHERE b = ? AND c IN (?, ?)"

	assert.Equal(t, q, sqliteDialect.bind(q))
	assert.Equal(t, "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)",
		postgresDialect.bind(q))
}
