package proxy

import (
	"errors"
	"io"
	"net"
	"sync"
)

// spliceBufSize is the copy buffer of each direction, as io.Copy's.
const spliceBufSize = 32 << 10

// buffers holds the copy buffers of every splice. A direction takes one for
// each read, so a connection with nothing to read holds none.
var buffers = sync.Pool{New: func() any {
	b := make([]byte, spliceBufSize)
	return &b
}}

// errWouldBlock is what a pollConn's Read returns when nothing is waiting.
// It is a temporary net.Error: crypto/tls keeps its state across one, as
// across a read deadline, so a tls.Conn over a pollConn reads on after it.
var errWouldBlock net.Error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "read would block" }
func (wouldBlock) Timeout() bool   { return false }
func (wouldBlock) Temporary() bool { return true }

// end names one of the two connections of a splice.
type end int

// The ends of splice(a, b).
const (
	endA end = iota
	endB
)

// copyError is the first failure of a splice and the end where it happened.
type copyError struct {
	at  end
	err error
}

func (e *copyError) Error() string { return e.err.Error() }

func (e *copyError) Unwrap() error { return e.err }

// splice copies a to b and b to a until both directions end. When a read
// reaches EOF it closes the write side of the other connection, so a client
// that half-closes still gets its reply. On the first failure it closes both
// connections and returns the failure as a *copyError. It returns the bytes
// copied from a to b and from b to a.
func splice(a, b net.Conn) (ab, ba int64, err error) {
	var once sync.Once
	var first *copyError
	fail := func(at end, cause error) {
		once.Do(func() {
			first = &copyError{at: at, err: cause}
			a.Close()
			b.Close()
		})
	}

	waitA, waitB := lazyReads(a), lazyReads(b)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ab = pipe(b, a, waitA, endB, endA, fail)
	}()
	ba = pipe(a, b, waitB, endA, endB, fail)
	<-done

	if first != nil {
		return ab, ba, first
	}
	return ab, ba, nil
}

// pipe copies src to dst until src reaches EOF, then closes the write side
// of dst. A failure is reported to fail with the end it happened at. When
// src's reads do not block, wait blocks until src has something to read;
// nil means they block. It returns the bytes written to dst.
func pipe(dst, src net.Conn, wait func() error, dstEnd, srcEnd end,
	fail func(end, error)) int64 {
	var n int64
	for {
		buf := buffers.Get().(*[]byte)
		nr, rerr := src.Read(*buf)
		if nr > 0 {
			nw, werr := dst.Write((*buf)[:nr])
			n += int64(nw)
			if werr != nil {
				buffers.Put(buf)
				fail(dstEnd, werr)
				return n
			}
		}
		buffers.Put(buf)

		if errors.Is(rerr, errWouldBlock) {
			rerr = wait()
		}
		switch {
		case errors.Is(rerr, io.EOF):
			if err := closeWrite(dst); err != nil {
				fail(dstEnd, err)
			}
			return n
		case rerr != nil:
			fail(srcEnd, rerr)
			return n
		}
	}
}

// closeWrite shuts the write side of c: a TLS close_notify on a *tls.Conn,
// a FIN on a TCP or Unix connection. A connection that cannot half-close is
// closed whole.
func closeWrite(c net.Conn) error {
	if hc, ok := c.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return c.Close()
}
