package proxy

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plainPair returns both ends of one loopback TCP connection, unwrapped.
func plainPair(t *testing.T) (near, far *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()

	dialed, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	accepted, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { dialed.Close(); accepted.Close() })
	return dialed.(*net.TCPConn), accepted.(*net.TCPConn)
}

func TestSpliceEndsCleanlyWhenUpstreamResetsAfterClientFinished(t *testing.T) {
	client, clientSide := plainPair(t)
	upstreamSide, upstream := plainPair(t)
	result := make(chan error, 1)
	go func() {
		_, err := splice(clientSide, upstreamSide)
		result <- err
	}()

	// The client says its last words and half-closes; the upstream reads
	// them and closes with a reset (SO_LINGER 0), as a server's socket does
	// when bytes it never read are pending.
	_, err := client.Write([]byte("bye"))
	require.NoError(t, err)
	require.NoError(t, client.CloseWrite())
	got, err := io.ReadAll(upstream)
	require.NoError(t, err)
	assert.Equal(t, "bye", string(got))
	require.NoError(t, upstream.SetLinger(0))
	require.NoError(t, upstream.Close())

	select {
	case err := <-result:
		assert.NoError(t, err, "a reset after the client finished is a normal end")
	case <-time.After(5 * time.Second):
		t.Fatal("splice did not end")
	}
}

func TestSpliceReportsAResetWhileTheClientIsTalking(t *testing.T) {
	_, clientSide := plainPair(t)
	upstreamSide, upstream := plainPair(t)
	result := make(chan error, 1)
	go func() {
		_, err := splice(clientSide, upstreamSide)
		result <- err
	}()

	require.NoError(t, upstream.SetLinger(0))
	require.NoError(t, upstream.Close())

	select {
	case err := <-result:
		var ce *copyError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, endB, ce.at)
	case <-time.After(5 * time.Second):
		t.Fatal("splice did not end")
	}
}

// TestSpliceBufferSizes checks that only a source with lazy reads, which
// holds no buffer while idle, takes the large copy buffers: a source whose
// reads block keeps its buffer for as long as the connection is idle.
func TestSpliceBufferSizes(t *testing.T) {
	blocking := source{}
	assert.Len(t, *blocking.buffers().Get().(*[]byte), blockingBufSize)

	lazy := source{wait: func() error { return nil }}
	assert.Len(t, *lazy.buffers().Get().(*[]byte), lazyBufSize)
}
