package main

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestACertificateWithoutItsKeyUsesNoSession(t *testing.T) {
	tm := newTeam(t, "auto_approve: always\nmax_sessions: 2", "")
	req, key := tm.ask(tm.alice, "echo", time.Hour)
	g, cert := tm.certificate(tm.alice, req, key)
	other, err := newKey()
	require.NoError(t, err)
	copied := &tls.Certificate{Certificate: cert.Certificate, PrivateKey: other}

	for range 3 {
		_, err := tm.dial("echo.localhost", copied, nil)
		require.Error(t, err, "a certificate used with another key is refused")
	}
	g, err = tm.adminClient().Grant(context.Background(), g.ID)
	require.NoError(t, err)
	require.NotNil(t, g.Sessions)
	assert.Equal(t, 0, *g.Sessions, "the refused handshakes counted no session")

	conn, err := tm.dial("echo.localhost", cert, nil)
	require.NoError(t, err, "the key's holder still has its sessions")
	conn.Close()
}
