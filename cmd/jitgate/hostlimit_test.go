package main

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostLimitClosesConnectionsOverTheLimit holds a host's connections at
// the limit and checks that one more is closed at once, and that closing
// one makes room again.
func TestHostLimitClosesConnectionsOverTheLimit(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := limitConns(ln, 8, 2)
	defer l.Close()

	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()

	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	first, _ := dial(), dial()
	held := []net.Conn{<-accepted, <-accepted}

	over := dial()
	require.NoError(t, over.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = over.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "a connection over the host's limit stayed open")

	require.NoError(t, held[0].Close())
	first.Close()
	dial()
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("a closed connection did not give its place back")
	}
	held[1].Close()
}
