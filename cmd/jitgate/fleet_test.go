package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/config"
)

// postgresEnv names the variable holding the DSN of a PostgreSQL database
// the tests may create schemas in.
const postgresEnv = "JITGATE_TEST_POSTGRES"

// postgresStore makes a fresh schema in the database JITGATE_TEST_POSTGRES
// names, dropped when t ends, and returns a store block whose DSN file
// points at it. It skips t when the variable is unset.
func postgresStore(t testing.TB) config.Store {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		t.Skipf("set %s to a PostgreSQL DSN to run the replica tests", postgresEnv)
	}

	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	schema := "jitgate_test_" + strings.ToLower(rand.Text())
	_, err = db.ExecContext(t.Context(), "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := db.Exec("DROP SCHEMA " + schema + " CASCADE")
		assert.NoError(t, err)
		assert.NoError(t, db.Close())
	})

	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	path := filepath.Join(t.TempDir(), "dsn")
	err = os.WriteFile(path, []byte(dsn+sep+"search_path="+schema+"\n"), 0o600)
	require.NoError(t, err)
	return config.Store{Driver: config.StorePostgres, DSNFile: path}
}

// copyCA gives the data directory to the CA of from, as an operator
// would for a replica: certificates and the intermediate's key, with the
// root key left behind.
func copyCA(t testing.TB, from, to string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Join(to, "ca"), 0o700))
	files := map[string]os.FileMode{
		"root.crt": 0o644, "intermediate.crt": 0o644, "intermediate.key": 0o600,
	}
	for name, mode := range files {
		b, err := os.ReadFile(filepath.Join(from, "ca", name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(to, "ca", name), b, mode))
	}
}

// fleet is two gateways, each with its own data directory holding the same
// CA, sharing one PostgreSQL store; alice and bob are enrolled through a.
type fleet struct {
	a, b       *testGateway
	alice, bob *tls.Certificate
}

func newFleet(t *testing.T) fleet {
	store := postgresStore(t)
	upstream := startEcho(t)
	replica := func(dir string) *testGateway {
		cfg := newTestConfig(t, upstream)
		cfg.Store = store
		return startGateway(t, dir, cfg)
	}

	a := replica(t.TempDir())
	dirB := t.TempDir()
	copyCA(t, a.dir, dirB)
	f := fleet{a: a, b: replica(dirB)}
	f.alice = a.enrol("alice", "requester")
	f.bob = a.enrol("bob", "approver")
	return f
}

// TestRevokeOnOneReplicaCutsAnother holds a live connection and a TLS
// session through replica b, revokes through replica a's admin API, and
// shows b cutting the connection and refusing the grant, resumed or not.
func TestRevokeOnOneReplicaCutsAnother(t *testing.T) {
	f := newFleet(t)
	grantID, grantCert := f.a.grant(f.alice, f.bob, "echo", time.Hour)
	cache := tls.NewLRUClientSessionCache(8)

	live, err := f.b.dial("echo.localhost", grantCert, cache)
	require.NoError(t, err)
	defer live.Close()
	resumed, err := f.b.dial("echo.localhost", grantCert, cache)
	require.NoError(t, err)
	require.True(t, resumed.ConnectionState().DidResume, "second connection should resume")
	resumed.Close()

	revoked := time.Now()
	_, err = f.a.adminClient().Revoke(context.Background(), grantID, "incident")
	require.NoError(t, err)
	requireCut(t, live, time.Second)
	t.Logf("replica b cut the connection %s after replica a was asked to revoke",
		time.Since(revoked))

	_, err = f.b.dial("echo.localhost", grantCert, cache)
	require.Error(t, err, "replica b let a resumed session of a revoked grant in")
	_, err = f.b.dial("echo.localhost", grantCert, nil)
	require.Error(t, err, "replica b let a revoked grant in")
}

// TestReplicasShareUsersAndGrants shows a grant issued through one replica
// opening connections through the other, the second replica's data
// directory, which has no root key, serving all the same, and its metrics
// saying that its grant feed listens.
func TestReplicasShareUsersAndGrants(t *testing.T) {
	f := newFleet(t)
	_, grantCert := f.b.grant(f.alice, f.bob, "echo", time.Hour)

	for name, tg := range map[string]*testGateway{"a": f.a, "b": f.b} {
		conn, err := tg.dial("echo.localhost", grantCert, nil)
		require.NoError(t, err, "replica %s", name)
		conn.Close()
	}
	_, err := os.Stat(filepath.Join(f.b.dir, "ca", "root.key"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	require.Eventually(t, func() bool {
		return strings.Contains(scrapeMetrics(t, f.b), "jitgate_grant_feed_listening 1")
	}, 10*time.Second, 20*time.Millisecond, "replica b does not say its feed listens")
}

func runInit(t testing.TB, args ...string) error {
	t.Helper()
	cmd := newInitCommand()
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	return cmd.ExecuteContext(context.Background())
}

// TestInitOnPostgres writes a config whose store block names the DSN file,
// by its absolute path, and bootstraps the admin into that database.
func TestInitOnPostgres(t *testing.T) {
	store := postgresStore(t)
	dir := t.TempDir()
	require.NoError(t, runInit(t, "--dir", dir, "--postgres-dsn-file", store.DSNFile))

	cfg, err := config.Load(filepath.Join(dir, config.FileName))
	require.NoError(t, err)
	assert.Equal(t, store, cfg.Store)
	_, err = os.Stat(filepath.Join(dir, storeFile))
	assert.ErrorIs(t, err, os.ErrNotExist, "init made an SQLite store as well")

	served := newTestConfig(t, startEcho(t))
	served.Store = cfg.Store
	tg := startGateway(t, dir, served)
	users, err := tg.adminClient().Users(context.Background())
	require.NoError(t, err)
	require.Len(t, users, 1)
	assert.Equal(t, "admin", users[0].Name)
}

// TestInitRefusesADatabaseInUse runs init twice on one database: the
// second is refused, whatever its admin is called, and leaves nothing.
func TestInitRefusesADatabaseInUse(t *testing.T) {
	store := postgresStore(t)
	require.NoError(t, runInit(t, "--dir", t.TempDir(), "--postgres-dsn-file", store.DSNFile))

	second := filepath.Join(t.TempDir(), "second")
	err := runInit(t, "--dir", second, "--postgres-dsn-file", store.DSNFile,
		"--admin-user", "admin2")
	require.ErrorContains(t, err, "the store already holds the users of a jitgate")
	_, err = os.Stat(second)
	assert.ErrorIs(t, err, os.ErrNotExist, "a refused init left a directory")
}

// TestInitRefusesAnOpenDSNFile refuses a DSN file others may read before
// it makes anything.
func TestInitRefusesAnOpenDSNFile(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "dsn")
	require.NoError(t, os.WriteFile(dsn, []byte("postgres://u:pw@h/db"), 0o600))
	require.NoError(t, os.Chmod(dsn, 0o644))
	dir := filepath.Join(t.TempDir(), "jitgate")

	err := runInit(t, "--dir", dir, "--postgres-dsn-file", dsn)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--postgres-dsn-file")
	assert.Contains(t, err.Error(), "has mode 0644")
	assert.NotContains(t, err.Error(), "pw@")
	_, err = os.Stat(dir)
	assert.ErrorIs(t, err, os.ErrNotExist, "a refused init left a directory")
}

// TestInitRefusesABadAdminNameFirst refuses an admin name the store would
// refuse before it makes anything, so that a retry with a good one works.
func TestInitRefusesABadAdminNameFirst(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "jitgate")

	err := runInit(t, "--dir", dir, "--admin-user", "Bad Name")
	require.ErrorContains(t, err, "--admin-user")
	_, err = os.Stat(dir)
	assert.ErrorIs(t, err, os.ErrNotExist, "a refused init left a directory")
	require.NoError(t, runInit(t, "--dir", dir, "--admin-user", "root"))
}

// TestAFailedInitCanRunAgain has init fail at the store, after the CA and
// the config file were written: it removes them, and puts back the mode
// of a directory that existed, so that the same command with a store that
// answers works.
func TestAFailedInitCanRunAgain(t *testing.T) {
	const shared = os.ModeDir | os.ModeSticky | 0o777
	for _, existed := range []bool{false, true} {
		t.Run(fmt.Sprintf("dir existed %v", existed), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "jitgate")
			if existed {
				require.NoError(t, os.Mkdir(dir, 0o700))
				require.NoError(t, os.Chmod(dir, shared.Perm()|os.ModeSticky))
			}
			dsn := filepath.Join(t.TempDir(), "dsn")
			closed := "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=5"
			require.NoError(t, os.WriteFile(dsn, []byte(closed), 0o600))

			err := runInit(t, "--dir", dir, "--postgres-dsn-file", dsn)
			require.Error(t, err)
			entries, statErr := os.ReadDir(dir)
			if existed {
				require.NoError(t, statErr)
				assert.Empty(t, entries, "a failed init left files")
				info, err := os.Stat(dir)
				require.NoError(t, err)
				assert.Equal(t, shared, info.Mode(), "a failed init left the mode changed")
			} else {
				assert.ErrorIs(t, statErr, os.ErrNotExist, "a failed init left its directory")
			}

			require.NoError(t, runInit(t, "--dir", dir))
		})
	}
}
