package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadStore(t *testing.T) {
	tests := []struct {
		name  string
		block string
		want  func(dir string) Store
	}{
		{"absent", "", func(string) Store { return Store{} }},
		{"sqlite", "store: {driver: sqlite}\n",
			func(string) Store { return Store{Driver: StoreSQLite} }},
		{"postgres, relative file", "store: {driver: postgres, dsn_file: secrets/dsn}\n",
			func(dir string) Store {
				return Store{Driver: StorePostgres, DSNFile: filepath.Join(dir, "secrets/dsn")}
			}},
		{"postgres, absolute file", "store: {driver: postgres, dsn_file: /etc/jg/dsn}\n",
			func(string) Store { return Store{Driver: StorePostgres, DSNFile: "/etc/jg/dsn"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			require.NoError(t, os.WriteFile(path, []byte(tc.block+"resources: []\n"), 0o600))

			c, err := Load(path)
			require.NoError(t, err)
			assert.Equal(t, tc.want(dir), c.Store)
			assert.Equal(t, tc.want(dir).Driver == StorePostgres, c.Store.Postgres())
		})
	}
}

func TestStoreRefused(t *testing.T) {
	tests := []struct {
		name, block, want string
	}{
		{"unknown driver", "store: {driver: mysql}",
			`store.driver: "mysql" is not accepted; want sqlite or postgres`},
		{"postgres without a file", "store: {driver: postgres}",
			"store.dsn_file: required for driver postgres"},
		{"sqlite with a file", "store: {dsn_file: dsn}",
			"store.dsn_file: only for driver postgres"},
		{"a dsn written in the file", "store: {driver: postgres, dsn: 'postgres://u:pw@h/db'}",
			"1:27: dsn: unknown key in store; known: driver, dsn_file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.block + "\n"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "pw@")
		})
	}
}

func TestReadDSN(t *testing.T) {
	const dsn = "postgres://jitgate:hunter2@db.internal:5432/jitgate?sslmode=verify-full"
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
		refused string
	}{
		{"private file", "  " + dsn + "\n", 0o600, dsn, ""},
		{"read-only file", dsn, 0o400, dsn, ""},
		{"readable by the group", dsn, 0o640, "", "has mode 0640; want 0600 or stricter"},
		{"readable by all", dsn, 0o644, "", "has mode 0644"},
		{"empty", " \n", 0o600, "", "is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dsn")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), tc.mode))
			require.NoError(t, os.Chmod(path, tc.mode))

			got, err := Store{Driver: StorePostgres, DSNFile: path}.ReadDSN()
			if tc.refused == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), "store.dsn_file: "+path)
			assert.Contains(t, err.Error(), tc.refused)
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestReadDSNMissingFile(t *testing.T) {
	_, err := Store{DSNFile: filepath.Join(t.TempDir(), "absent")}.ReadDSN()
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "store.dsn_file")
}

func TestDefaultConfigHasNoStore(t *testing.T) {
	b, err := Default().Marshal()
	require.NoError(t, err)
	assert.NotContains(t, string(b), "store")
}

// TestResourcesCanBeAppended writes a config with a store block, as init
// does for PostgreSQL, and appends a resource the way the README does.
func TestResourcesCanBeAppended(t *testing.T) {
	c := Default()
	c.Store = Store{Driver: StorePostgres, DSNFile: "/etc/jitgate/dsn"}
	b, err := c.Marshal()
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(string(b), "resources: []\n"), "%s", b)

	doc := strings.TrimSuffix(string(b), "[]\n") + "\n- name: api\n  upstream: 127.0.0.1:8080\n" +
		"  hostname: api.localhost\n"
	got, err := Parse([]byte(doc))
	require.NoError(t, err)
	require.Len(t, got.Resources, 1)
	assert.Equal(t, StorePostgres, got.Store.Driver)
}
