package main

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConnectListensOnLoopbackUnlessAllowed(t *testing.T) {
	for listen, want := range map[string]listenAt{
		"127.0.0.1:15432": {"tcp4", "127.0.0.1:15432"},
		"127.0.0.2:1":     {"tcp4", "127.0.0.2:1"},
		"[::1]:1":         {"tcp", "[::1]:1"},
		"localhost:1":     {"tcp4", "127.0.0.1:1"},
		"LocalHost:1":     {"tcp4", "127.0.0.1:1"},
	} {
		got, err := localAddr(listen, false, io.Discard)
		require.NoError(t, err, listen)
		assert.Equal(t, want, got, listen)
	}

	for _, listen := range []string{"0.0.0.0:15432", ":15432", "[::]:1", "192.0.2.2:1",
		"db.example.test:1"} {
		_, err := localAddr(listen, false, io.Discard)
		require.Error(t, err, listen)
		assert.ErrorContains(t, err, "not a loopback address, so anyone who can reach it "+
			"would use your grant")

		var warning bytes.Buffer
		_, err = localAddr(listen, true, &warning)
		assert.NoError(t, err, "%s with --allow-remote", listen)
		assert.Contains(t, warning.String(), "whoever connects to it uses your grant")
	}

	_, err := localAddr("15432", false, io.Discard)
	assert.EqualError(t, err, `--listen "15432": want HOST:PORT, such as 127.0.0.1:15432`)
}

func TestConnectListensOnTheFamilyAsked(t *testing.T) {
	for listen, want := range map[string]string{
		"0.0.0.0:1": "tcp4", "[::]:1": "tcp", ":1": "tcp", "db.example.test:1": "tcp",
	} {
		got, err := localAddr(listen, true, io.Discard)
		require.NoError(t, err, listen)
		assert.Equal(t, want, got.network, listen)
	}
}

func TestConnectRefusesARemoteListenerBeforeAnythingElse(t *testing.T) {
	// No profile exists here: the address is refused before one is read.
	err := runJitgate(t, "", "connect", "postgres", "--listen", "0.0.0.0:0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `--listen "0.0.0.0:0": not a loopback address`)
}
