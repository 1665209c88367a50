//go:build linux

package proxy

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tcpPair returns the two ends of a loopback TCP connection: the accepted
// one wrapped by pollable, with lazy reads on, and the dialing one.
func tcpPair(t testing.TB) (*pollConn, net.Conn) {
	t.Helper()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()

	dialed, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	accepted, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() {
		dialed.Close()
		accepted.Close()
	})

	pc, ok := pollable(accepted).(*pollConn)
	require.True(t, ok, "a TCP connection is pollable")
	require.NotNil(t, lazyReads(pc).wait)
	require.NoError(t, pc.SetDeadline(time.Now().Add(waitTime)))
	return pc, dialed
}

func TestPollConnLazyReads(t *testing.T) {
	cases := []struct {
		name string
		// peer acts on the dialing end after a Read found nothing waiting.
		peer func(net.Conn)
		// read is what a Read returns after waitReadable.
		read error
	}{
		{"data after the wait began", func(c net.Conn) {
			go func() {
				time.Sleep(20 * time.Millisecond)
				c.Write([]byte("late"))
			}()
		}, nil},
		{"data before the wait began", func(c net.Conn) {
			c.Write([]byte("early"))
			time.Sleep(20 * time.Millisecond)
		}, nil},
		{"end of stream", func(c net.Conn) { c.Close() }, io.EOF},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pc, peer := tcpPair(t)
			buf := make([]byte, 64)
			_, err := pc.Read(buf)
			require.ErrorIs(t, err, errWouldBlock)

			tc.peer(peer)
			require.NoError(t, pc.waitReadable())
			n, err := pc.Read(buf)
			if tc.read != nil {
				assert.ErrorIs(t, err, tc.read)
				return
			}
			require.NoError(t, err)
			assert.NotZero(t, n)
		})
	}
}

// TestPollConnReadsAllocateNothing reads and waits on a pollConn the way a
// splice does, once per chunk of data: none of it allocates.
func TestPollConnReadsAllocateNothing(t *testing.T) {
	pc, peer := tcpPair(t)
	chunk, buf := []byte("chunk"), make([]byte, 64)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := peer.Write(chunk); err != nil {
			t.Fatal(err)
		}
		if err := pc.waitReadable(); err != nil {
			t.Fatal(err)
		}
		if n, err := pc.Read(buf); err != nil || n == 0 {
			t.Fatalf("read %d bytes: %v", n, err)
		}
		if _, err := pc.Read(buf); !errors.Is(err, errWouldBlock) {
			t.Fatalf("read with nothing waiting: %v", err)
		}
	})
	assert.Zero(t, allocs)
}

// TestPollConnShortReadDrains reads less than its buffer holds: the next
// Read returns errWouldBlock without asking the kernel, even with data
// queued by then, and the wait that follows finds that data at once.
func TestPollConnShortReadDrains(t *testing.T) {
	pc, peer := tcpPair(t)
	buf := make([]byte, 64)
	_, err := peer.Write([]byte("a"))
	require.NoError(t, err)
	require.NoError(t, pc.waitReadable())
	n, err := pc.Read(buf)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	_, err = peer.Write([]byte("bc"))
	require.NoError(t, err)
	requireQueued(t, pc)
	_, err = pc.Read(buf)
	require.ErrorIs(t, err, errWouldBlock)
	require.NoError(t, pc.waitReadable())
	n, err = pc.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "bc", string(buf[:n]))
}

// requireQueued waits until pc's socket has data queued, without reading it.
func requireQueued(t *testing.T, pc *pollConn) {
	t.Helper()

	require.Eventually(t, func() bool {
		var queued bool
		err := pc.raw.Control(func(fd uintptr) {
			var b [1]byte
			n, _, _ := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			queued = n > 0
		})
		return err == nil && queued
	}, waitTime, time.Millisecond)
}

func TestPollConnWaitEnds(t *testing.T) {
	cases := []struct {
		name string
		end  func(*pollConn)
		want error
	}{
		{"deadline", func(pc *pollConn) {
			pc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		}, os.ErrDeadlineExceeded},
		{"closed", func(pc *pollConn) {
			time.AfterFunc(20*time.Millisecond, func() { pc.Close() })
		}, net.ErrClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pc, _ := tcpPair(t)
			tc.end(pc)
			err := pc.waitReadable()
			assert.ErrorIs(t, err, tc.want)
			_, err = pc.Read(make([]byte, 1))
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// trickle writes to a connection a few bytes at a time with pauses, so
// that TLS records reach the proxy cut at every point.
type trickle struct {
	net.Conn
	writes int
}

func (c *trickle) Write(p []byte) (int, error) {
	var n int
	for len(p) > 0 {
		c.writes++
		size := min(len(p), 1+c.writes%7)
		if c.writes%5 == 0 {
			size = min(len(p), 3000)
		}
		if c.writes%50 == 0 {
			time.Sleep(time.Millisecond)
		}
		m, err := c.Conn.Write(p[:size])
		n += m
		if err != nil {
			return n, err
		}
		p = p[size:]
	}
	return n, nil
}

func TestSpliceCarriesRecordsCutAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 300 KB a few bytes at a time")
	}
	h := newHarness(t, echo, nil)
	h.checker.set("g1", nil)
	cert := h.pki.client(t, grantClaims("alice", "g1", "db"))

	raw, err := net.DialTimeout("tcp", h.srv.Addr("db").String(), waitTime)
	require.NoError(t, err)
	c := tls.Client(&trickle{Conn: raw}, h.clientConfig("db"+testDomain, &cert, nil))
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(waitTime)))

	want := make([]byte, 300_000)
	_, err = rand.Read(want)
	require.NoError(t, err)
	sent := make(chan error, 1)
	go func() {
		for chunk := range slices.Chunk(want, 777) {
			if _, err := c.Write(chunk); err != nil {
				sent <- err
				return
			}
		}
		sent <- c.CloseWrite()
	}()

	got, err := io.ReadAll(c)
	require.NoError(t, errors.Join(err, <-sent))
	assert.True(t, bytes.Equal(want, got), "got %d bytes back of %d", len(got), len(want))
}

func TestPollConnCorkHoldsWrites(t *testing.T) {
	pc, peer := tcpPair(t)
	require.NoError(t, peer.SetReadDeadline(time.Now().Add(waitTime)))

	pc.cork()
	for _, part := range []string{"one ", "two ", "three"} {
		n, err := pc.Write([]byte(part))
		require.NoError(t, err)
		require.Equal(t, len(part), n)
	}
	require.NoError(t, peer.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
	_, err := peer.Read(make([]byte, 1))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "a corked write went out")

	require.NoError(t, pc.uncork())
	_, err = pc.Write([]byte(", four"))
	require.NoError(t, err)
	require.NoError(t, peer.SetReadDeadline(time.Now().Add(waitTime)))
	got := make([]byte, len("one two three, four"))
	_, err = io.ReadFull(peer, got)
	require.NoError(t, err)
	assert.Equal(t, "one two three, four", string(got))
}
