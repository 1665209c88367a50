package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/fileperm"
)

const goodConfig = `
trust_domain: example.test
data_dir: data
listen:
  proxy: 127.0.0.1:8443
resources:
  - name: web
    upstream: 127.0.0.1:8080
    hostname: web.example.test
  - name: db
    upstream: 127.0.0.1:5432
    listen: 127.0.0.1:15432
    policy:
      approvals: 2
      max_duration: 30m
`

func TestLoadAppliesDefaultsAndResolvesDataDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	require.NoError(t, os.WriteFile(path, []byte(goodConfig), 0o600))

	c, err := Load(path)
	require.NoError(t, err)

	assert.Equal(t, filepath.Join(dir, "data"), c.DataDir)
	assert.Equal(t, "127.0.0.1:8443", c.Listen.Proxy)
	assert.Equal(t, DefaultAdminAddr, c.Listen.Admin)
	assert.Equal(t, DefaultMetricsAddr, c.Listen.Metrics)
	require.Len(t, c.Resources, 2)
	assert.Equal(t, DefaultMaxDuration, c.Resources[0].Policy.Limit())
	assert.Equal(t, 30*time.Minute, c.Resources[1].Policy.Limit())
	assert.Equal(t, 2, c.Resources[1].Policy.Approvals)
}

func TestLoadRefusesWhatOthersCanWrite(t *testing.T) {
	tests := []struct {
		name       string
		file, data os.FileMode
		want       string
	}{
		{"group-writable config file", 0o620, 0o700, "config file"},
		{"world-writable config file", 0o606, 0o700, "config file"},
		{"world-writable data directory", 0o600, 0o777, "data directory"},
		{"group-writable data directory", 0o600, 0o770, "data directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			require.NoError(t, os.WriteFile(path, []byte(goodConfig), 0o600))
			require.NoError(t, os.Mkdir(filepath.Join(dir, "data"), 0o700))
			// Chmod, unlike creation, is not narrowed by the umask.
			require.NoError(t, os.Chmod(path, tt.file))
			require.NoError(t, os.Chmod(filepath.Join(dir, "data"), tt.data))

			_, err := Load(path)
			require.ErrorIs(t, err, ErrWritableByOthers)
			assert.ErrorContains(t, err, tt.want)
		})
	}

	t.Run("readable by others is fine", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, FileName)
		require.NoError(t, os.WriteFile(path, []byte(goodConfig), 0o600))
		require.NoError(t, os.Chmod(path, 0o644))
		_, err := Load(path)
		require.NoError(t, err)
	})
}

func TestLoadRefusesAFileOfAnotherUser(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	require.NoError(t, os.WriteFile(path, []byte(goodConfig), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "data"), 0o700))
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Skipf("giving a file to another user needs root: %v", err)
	}

	_, err := Load(path)
	require.ErrorIs(t, err, fileperm.ErrForeignOwner)
	assert.ErrorContains(t, err, "config file "+path+" belongs to user 65534")

	require.NoError(t, os.Chown(path, os.Geteuid(), os.Getegid()))
	require.NoError(t, os.Chown(filepath.Join(dir, "data"), 65534, 65534))
	_, err = Load(path)
	assert.ErrorContains(t, err, "data directory")
	assert.ErrorIs(t, err, fileperm.ErrForeignOwner)
}

func TestParseRefusesBadValues(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"unknown key", "trust_domian: x\n",
			"1:1: trust_domian: unknown key in the top level; known: trust_domain,"},
		{"unknown listen key", "listen: {proxi: ':1'}\n",
			"1:10: proxi: unknown key in listen; known: proxy, admin, metrics"},
		{"bad trust domain", "trust_domain: Not A Domain\n", "trust_domain"},
		{"bad listen", "listen: {admin: nowhere}\n", "listen.admin"},
		{"bad duration", res("policy: {max_duration: soon}"), `"soon" is not accepted`},
		{"negative approvals", res("policy: {approvals: -1}"),
			"resources[web].policy.approvals"},
		{"approvals outside policy", res("approvals: 2"),
			"5:5: approvals: unknown key in a resource; known: name, upstream, " +
				`listen, hostname, policy (approvals belongs in the resource's policy block)`},
		{"no upstream port", "resources: [{name: web, upstream: h, hostname: w}]\n",
			"resources[web].upstream"},
		{"no route", "resources: [{name: web, upstream: 'h:1'}]\n",
			"needs listen, hostname or both"},
		{"bad name", "resources: [{name: Web!, upstream: 'h:1', hostname: w}]\n",
			"resources[0].name"},
		{"duplicate name", res("") + "  - {name: web, upstream: 'h:2', hostname: v}\n",
			"a name no other resource has"},
		{"too long", res("policy: {max_duration: 200h}"),
			"resources[web].policy.max_duration"},
		{"two documents", res("") + "---\ntrust_domain: other\n", "more than one YAML document"},
		{"two listeners on one address",
			"listen: {proxy: '127.0.0.1:9000', admin: '127.0.0.1:9000'}\n",
			"three different addresses"},
		{"a resource on the admin address",
			"listen: {admin: '127.0.0.1:9444'}\nresources: [{name: db, upstream: 'h:1', " +
				"listen: '127.0.0.1:9444'}]\n", "listen.admin does not listen on already"},
		{"two resources on one address",
			"resources: [{name: a, upstream: 'h:1', listen: '127.0.0.1:9001'}, " +
				"{name: b, upstream: 'h:1', listen: '127.0.0.1:9001'}]\n",
			"resources[a].listen does not listen on already"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// res returns a document with one valid resource carrying an extra line.
func res(extra string) string {
	return "resources:\n  - name: web\n    upstream: 'h:1'\n    hostname: w\n    " +
		extra + "\n"
}

func TestDecodeErrorsPointAtTheFile(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"a key misspelt in a block", "listen:\n  proxy: ':1'\n  admn: ':2'\n",
			"3:3: admn: unknown key in listen"},
		{"a value of the wrong kind", "resources:\n  - name: [web]\n",
			"2:5: cannot unmarshal !!seq into string"},
		{"a list where a block belongs", "trust_domain: x\nlisten:\n  - x\n",
			"3:5: cannot unmarshal !!seq into config.Listen"},
		// yaml places this one where the mapping it could not finish began.
		{"not YAML", "listen:\n  proxy: ':1'\n admin: x\n",
			"2:3: did not find expected key"},
		{"a value over lines", "server_names: |\n  a\n  b\n",
			"1:1: cannot unmarshal !!str `a\nb\n` into []string"},
		{"a quoted key", "listen: {\"é\": 1, proxi: 2}\n",
			"1:10: é: unknown key in listen"},
		{"several problems", "trust_domian: x\nlisen: {}\n",
			"1:1: trust_domian: unknown key in the top level; known: trust_domain, " +
				"data_dir, listen, server_names, tls, webhooks, store, resources " +
				"(and 1 more problem)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			require.ErrorIs(t, err, ErrInvalid)
			var fe *FileError
			require.ErrorAs(t, err, &fe)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	t.Run("Load names the file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), FileName)
		require.NoError(t, os.WriteFile(path, []byte("listen: {proxi: ':1'}\n"), 0o600))
		_, err := Load(path)
		assert.EqualError(t, err,
			path+":1:10: proxi: unknown key in listen; known: proxy, admin, metrics")
	})
}

func TestDefaultRoundTrips(t *testing.T) {
	b, err := Default().Marshal()
	require.NoError(t, err)

	c, err := Parse(b)
	require.NoError(t, err)
	assert.Equal(t, Default(), c)
}

func TestServingNames(t *testing.T) {
	c, err := Parse([]byte(goodConfig))
	require.NoError(t, err)

	assert.Equal(t, []string{"localhost", "127.0.0.1", "web.example.test"}, c.ServingNames())
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(goodConfig))
	f.Add([]byte("resources: [{name: a, upstream: 'h:1', listen: ':0'}]"))
	f.Add([]byte(policyConfig))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err == nil {
			require.NoError(t, c.Validate())
		}
	})
}
