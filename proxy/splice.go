package proxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// Copy buffer sizes. A source with lazy reads holds a buffer only while
// data flows, so its buffer is large, for a bulk transfer to cost few system
// calls. A source whose reads block holds its buffer while idle too, so its
// buffer is as small as io.Copy's.
const (
	lazyBufSize     = 128 << 10
	blockingBufSize = 32 << 10
)

// lazyBuffers and blockingBuffers hold the copy buffers of every splice. A
// direction takes one for each read.
var (
	lazyBuffers     = newBufferPool(lazyBufSize)
	blockingBuffers = newBufferPool(blockingBufSize)
)

// newBufferPool returns a pool of buffers of size bytes.
func newBufferPool(size int) *sync.Pool {
	return &sync.Pool{New: func() any {
		b := make([]byte, size)
		return &b
	}}
}

// errWouldBlock is what a pollConn's Read returns when nothing is waiting.
// It is a temporary net.Error: crypto/tls keeps its state across one, as
// across a read deadline, so a tls.Conn over a pollConn reads on after it.
var errWouldBlock net.Error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "read would block" }
func (wouldBlock) Timeout() bool   { return false }
func (wouldBlock) Temporary() bool { return true }

// end names one of the two connections of a splice.
type end int32

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

// spliced is what a splice carried and how it ended.
type spliced struct {
	// ab and ba are the bytes copied from a to b and from b to a.
	ab, ba int64
	// bEndedFirst is set when b's reads reached EOF before a's did.
	bEndedFirst bool
}

// splice copies a to b and b to a until both directions end. When a read
// reaches EOF it closes the write side of the other connection, so a client
// that half-closes still gets its reply. On the first failure it aborts
// both connections and returns the failure as a *copyError.
func splice(a, b net.Conn) (spliced, error) {
	var once sync.Once
	var first *copyError
	// ended[e] is set once end e's reads reached EOF; firstEnded is one
	// more than the end whose reads did so first, 0 until one does.
	var ended [2]atomic.Bool
	var firstEnded atomic.Int32
	eof := func(at end) func() {
		return func() {
			ended[at].Store(true)
			firstEnded.CompareAndSwap(0, int32(at)+1)
		}
	}
	fail := func(at end, cause error) {
		once.Do(func() {
			if !endedByPeer(at, cause, ended[endA].Load()) {
				first = &copyError{at: at, err: cause}
			}
			abort(a)
			abort(b)
		})
	}

	var res spliced
	srcA, srcB := lazyReads(a), lazyReads(b)
	done := make(chan struct{})
	go func() {
		defer close(done)
		res.ab = pipe(corkedSink(b), srcA, endB, endA, eof(endA), fail)
	}()
	res.ba = pipe(corkedSink(a), srcB, endA, endB, eof(endB), fail)
	<-done

	res.bEndedFirst = firstEnded.Load() == int32(endB)+1
	if first != nil {
		return res, first
	}
	return res, nil
}

// endedByPeer reports whether a failure is how b's side ends a session that
// a had already finished: a reset from b after a's EOF was passed on, as
// PostgreSQL sends when the client's last TLS alert arrives after its
// Terminate message.
func endedByPeer(at end, cause error, aEnded bool) bool {
	return at == endB && aEnded && errors.Is(cause, syscall.ECONNRESET)
}

// source is the read side of one direction of a splice.
type source struct {
	net.Conn
	// wait blocks until Read has something to return; nil means that Read
	// blocks itself.
	wait func() error
	// records is set when Read returns at most one TLS record and does not
	// block: read then reads on into the rest of its buffer, so that a
	// write to the other side carries several records.
	records bool
}

// buffers returns the pool of s's copy buffers.
func (s source) buffers() *sync.Pool {
	if s.wait != nil {
		return lazyBuffers
	}
	return blockingBuffers
}

// read reads into p once, or for a records source on until p is full or
// nothing more is waiting.
func (s source) read(p []byte) (int, error) {
	n, err := s.Read(p)
	for s.records && err == nil && n > 0 && n < len(p) {
		var m int
		m, err = s.Read(p[n:])
		n += m
	}
	return n, err
}

// sink is the write side of one direction of a splice.
type sink struct {
	net.Conn
	// cork and uncork, when set, make the writes between them go out as
	// one; a write of more than one TLS record is corked.
	cork   func()
	uncork func() error
}

// maxRecord is the largest TLS record plaintext; a longer write is cut
// into several records.
const maxRecord = 16 << 10

// write writes p, corked when it makes several TLS records.
func (s sink) write(p []byte) (int, error) {
	if s.cork == nil || len(p) <= maxRecord {
		return s.Write(p)
	}
	s.cork()
	n, err := s.Write(p)
	if uerr := s.uncork(); err == nil && uerr != nil {
		return 0, uerr
	}
	return n, err
}

// pipe copies src to dst until src reaches EOF, then calls srcEnded and
// closes the write side of dst: srcEnded runs before dst's peer can see
// the end and answer it. A failure is reported to fail with the end it
// happened at. It returns the bytes written to dst.
func pipe(dst sink, src source, dstEnd, srcEnd end, srcEnded func(),
	fail func(end, error)) int64 {
	var n int64
	buffers := src.buffers()
	for {
		buf := buffers.Get().(*[]byte)
		nr, rerr := src.read(*buf)
		if nr > 0 {
			nw, werr := dst.write((*buf)[:nr])
			n += int64(nw)
			if werr != nil {
				buffers.Put(buf)
				fail(dstEnd, werr)
				return n
			}
		}
		buffers.Put(buf)

		if errors.Is(rerr, errWouldBlock) {
			rerr = src.wait()
		}
		switch {
		case errors.Is(rerr, io.EOF):
			srcEnded()
			// ENOTCONN: the other side is gone already, with nothing to shut.
			err := closeWrite(dst.Conn)
			if err != nil && !errors.Is(err, syscall.ENOTCONN) {
				fail(dstEnd, err)
			}
			return n
		case rerr != nil:
			fail(srcEnd, rerr)
			return n
		}
	}
}

// abort closes c at once: a TLS connection without a close_notify, so that
// the peer does not take a failure (an expired grant, an upstream that
// crashed) for the complete end of the stream.
func abort(c net.Conn) {
	if tc, ok := c.(interface{ NetConn() net.Conn }); ok {
		tc.NetConn().Close()
		return
	}
	c.Close()
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
