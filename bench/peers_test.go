package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPeerConfigs(t *testing.T) {
	fixture := t.TempDir()
	for _, name := range []string{ServerCertFile, ServerKeyFile} {
		require.NoError(t, os.WriteFile(filepath.Join(fixture, name), []byte(name+"\n"), 0o600))
	}

	tests := []struct {
		peer, file string
		argv       []string
	}{
		{ServerNginx, "nginx.conf", []string{"nginx", "-e", "RUN/nginx.log", "-p", "RUN",
			"-c", "RUN/nginx.conf"}},
		{ServerHAProxy, "haproxy.cfg", []string{"haproxy", "-db", "-f", "RUN/haproxy.cfg"}},
	}
	for _, tt := range tests {
		t.Run(tt.peer, func(t *testing.T) {
			run := t.TempDir()
			argv, err := peerCommand(tt.peer, peerConf{Fixture: fixture, Run: run,
				Listen: "127.0.0.1:8443", Upstream: "127.0.0.1:9000", MaxConns: 100})
			require.NoError(t, err)

			placeholders := strings.NewReplacer(run, "RUN", fixture, "FIXTURE")
			for i := range argv {
				argv[i] = placeholders.Replace(argv[i])
			}
			assert.Equal(t, tt.argv, argv)
			conf, err := os.ReadFile(filepath.Join(run, tt.file))
			require.NoError(t, err)
			golden(t, tt.file, []byte(placeholders.Replace(string(conf))))
		})
	}
}

func TestHAProxyPEMJoinsChainAndKey(t *testing.T) {
	fixture, run := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(fixture, ServerCertFile), []byte("chain\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(fixture, ServerKeyFile), []byte("key\n"), 0o600))

	require.NoError(t, haproxyPEM(peerConf{Fixture: fixture, Run: run}))
	b, err := os.ReadFile(filepath.Join(run, "haproxy.pem"))
	require.NoError(t, err)
	assert.Equal(t, "chain\nkey\n", string(b))
}

func TestUnknownPeer(t *testing.T) {
	_, err := peerCommand("caddy", peerConf{Run: t.TempDir()})
	assert.ErrorContains(t, err, `no peer "caddy"`)
}
