package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConnectListensOnLoopbackUnlessAllowed(t *testing.T) {
	for _, listen := range []string{"127.0.0.1:15432", "127.0.0.2:1", "[::1]:1", "localhost:1"} {
		assert.NoError(t, checkListen(listen, false), listen)
	}
	for _, listen := range []string{"0.0.0.0:15432", ":15432", "[::]:1", "192.0.2.2:1",
		"db.example.test:1"} {
		err := checkListen(listen, false)
		require.Error(t, err, listen)
		assert.ErrorContains(t, err, "not a loopback address, so anyone who can reach it "+
			"would use your grant")
		assert.NoError(t, checkListen(listen, true), "%s with --allow-remote", listen)
	}
	assert.EqualError(t, checkListen("15432", false),
		`--listen "15432": want HOST:PORT, such as 127.0.0.1:15432`)
}

func TestConnectRefusesARemoteListenerBeforeAnythingElse(t *testing.T) {
	// No profile exists here: the address is refused before one is read.
	err := runJitgate(t, "", "connect", "postgres", "--listen", "0.0.0.0:0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `--listen "0.0.0.0:0": not a loopback address`)
}

func TestConnectListensOnTheFamilyAsked(t *testing.T) {
	for listen, want := range map[string]string{
		"0.0.0.0:1": "tcp4", "127.0.0.1:1": "tcp4", "[::]:1": "tcp",
		"[::1]:1": "tcp", "localhost:1": "tcp", ":1": "tcp",
	} {
		assert.Equal(t, want, listenNetwork(listen), listen)
	}
}
