package main

import (
	"context"
	"net"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/ca"
)

// TestLoginAtTheProxySaysWhichAddressItWants points jitgate login at the
// proxy's listener instead of the admin API, by IP (no server name) and by
// name, and checks that the error says which address login wants and that
// no profile is written.
func TestLoginAtTheProxySaysWhichAddressItWants(t *testing.T) {
	tg := startGateway(t, t.TempDir(), newTestConfig(t, startEcho(t)))
	_, token, err := tg.adminClient().AddUser(context.Background(), "erin",
		[]string{"requester"})
	require.NoError(t, err)
	fp := ca.Fingerprint(tg.gw.core.authority.Root())
	_, port, err := net.SplitHostPort(tg.gw.proxy.SharedAddr().String())
	require.NoError(t, err)

	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "erin")
			err := runJitgate(t, home, "login", "--server", net.JoinHostPort(host, port),
				"--token", token, "--ca-fingerprint", fp)
			require.Error(t, err)
			assert.ErrorContains(t, err, "this looks like jitgate's proxy")
			assert.ErrorContains(t, err, "listen.admin")
			assert.NoFileExists(t, filepath.Join(home, profileFile))
		})
	}
}
