package proxy

import (
	"errors"
	"io"
	"net"
	"sync"
)

// spliceBufSize is the copy buffer of each direction, as io.Copy's.
const spliceBufSize = 32 << 10

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

	done := make(chan struct{})
	go func() {
		defer close(done)
		ab = pipe(b, a, endB, endA, fail)
	}()
	ba = pipe(a, b, endA, endB, fail)
	<-done

	if first != nil {
		return ab, ba, first
	}
	return ab, ba, nil
}

// pipe copies src to dst until src reaches EOF, then closes the write side
// of dst. A failure is reported to fail with the end it happened at. It
// returns the bytes written to dst.
func pipe(dst, src net.Conn, dstEnd, srcEnd end, fail func(end, error)) int64 {
	buf := make([]byte, spliceBufSize)
	var n int64
	for {
		nr, rerr := src.Read(buf)
		if nr > 0 {
			nw, werr := dst.Write(buf[:nr])
			n += int64(nw)
			if werr != nil {
				fail(dstEnd, werr)
				return n
			}
		}

		if errors.Is(rerr, io.EOF) {
			if err := closeWrite(dst); err != nil {
				fail(dstEnd, err)
			}
			return n
		}
		if rerr != nil {
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
