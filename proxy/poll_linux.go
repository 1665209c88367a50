//go:build linux

package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// pollConn is a TCP connection whose reads stop blocking once lazy is set:
// a Read with nothing waiting returns errWouldBlock, and waitReadable blocks
// until data, the end of the stream or an error is waiting. A splice over it
// takes a copy buffer only while data flows, so an idle connection holds
// none. Read, waitReadable and setting lazy belong to one goroutine; the
// other methods are the TCP connection's.
type pollConn struct {
	*net.TCPConn
	raw  syscall.RawConn
	lazy bool
	// drained is set when the last read emptied the socket, so that the
	// next Read returns errWouldBlock without asking the kernel again:
	// waitReadable, which clears it, peeks first and misses nothing.
	drained bool

	// The functions raw.Read runs for Read and waitReadable, made once,
	// and what they read into and found: kept here so that neither
	// allocates on each call.
	readFn, waitFn func(fd uintptr) bool
	buf            []byte
	n              int
	errno          error
	waited         bool

	// wmu orders writes. Between cork and uncork they are held in held
	// and go out as one, so that the TLS records of one write to a
	// tls.Conn cost one system call.
	wmu    sync.Mutex
	corked bool
	held   *[]byte
}

// pollable wraps c in a pollConn when it is a TCP connection, and returns it
// as it is otherwise.
func pollable(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	pc := &pollConn{TCPConn: tc, raw: raw}
	pc.readFn, pc.waitFn = pc.readOnce, pc.peekOnce
	return pc
}

// corkedSink returns c as a splice sink, whose writes to a TLS connection
// over a pollConn are corked.
func corkedSink(c net.Conn) sink {
	if tc, ok := c.(interface{ NetConn() net.Conn }); ok {
		if pc, ok := tc.NetConn().(*pollConn); ok {
			return sink{Conn: c, cork: pc.cork, uncork: pc.uncork}
		}
	}
	return sink{Conn: c}
}

// Write writes p, or holds it while the connection is corked.
func (c *pollConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()

	if c.corked {
		*c.held = append(*c.held, p...)
		return len(p), nil
	}
	return c.TCPConn.Write(p)
}

// heldBuffers hold corked writes: the records of one splice buffer, each
// with its header and tag, fit without growing.
var heldBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, lazyBufSize+heldSlack)
	return &b
}}

// heldSlack is room for the TLS record overhead of one splice buffer: 22
// bytes a record, with records as small as crypto/tls makes them at the
// start of a connection.
const heldSlack = 8 << 10

// cork holds writes until uncork.
func (c *pollConn) cork() {
	c.wmu.Lock()
	defer c.wmu.Unlock()

	c.corked = true
	c.held = heldBuffers.Get().(*[]byte)
}

// uncork writes what was held in one write and lets writes through again.
func (c *pollConn) uncork() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()

	c.corked = false
	held := c.held
	c.held = nil
	_, err := c.TCPConn.Write(*held)
	*held = (*held)[:0]
	heldBuffers.Put(held)
	return err
}

// lazyReads returns c as a splice source. When c is, or wraps, a pollConn
// it switches it to reads that do not block and sets the source's wait; a
// TLS connection over one returns one record per read.
func lazyReads(c net.Conn) source {
	src := source{Conn: c}
	under, ok := c.(interface{ NetConn() net.Conn })
	if ok {
		c = under.NetConn()
	}
	pc, lazy := c.(*pollConn)
	if !lazy {
		return src
	}
	pc.lazy, pc.drained = true, true
	src.wait, src.records = pc.waitReadable, ok
	return src
}

// Read reads like the TCP connection's Read until lazy is set, and then
// returns errWouldBlock instead of waiting. A read that does not fill p
// took all there was, so the Read after it returns errWouldBlock at once.
func (c *pollConn) Read(p []byte) (int, error) {
	if !c.lazy || len(p) == 0 {
		return c.TCPConn.Read(p)
	}
	if c.drained {
		return 0, errWouldBlock
	}

	c.buf = p
	err := c.raw.Read(c.readFn)
	n, errno := c.n, c.errno
	c.buf, c.errno = nil, nil
	switch {
	case err != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: err}
	case errors.Is(errno, syscall.EAGAIN):
		c.drained = true
		return 0, errWouldBlock
	case errno != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", errno)}
	case n == 0:
		return 0, io.EOF
	}
	c.drained = n < len(p)
	return n, nil
}

// readOnce reads fd into c.buf once, for Read.
func (c *pollConn) readOnce(fd uintptr) bool {
	c.n, c.errno = readNoEINTR(int(fd), c.buf)
	return true
}

// readNoEINTR is read(2) on fd, retried when a signal interrupts it.
func readNoEINTR(fd int, p []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, p)
		if !errors.Is(err, syscall.EINTR) {
			return max(n, 0), err
		}
	}
}

// waitReadable blocks until a Read would not return errWouldBlock, or the
// connection is closed or its deadline passes. A readiness event that came
// before the call is not lost: the socket is peeked first.
func (c *pollConn) waitReadable() error {
	c.waited = false
	err := c.raw.Read(c.waitFn)
	c.drained = false
	if err != nil {
		return &net.OpError{Op: "read", Net: "tcp", Err: err}
	}
	return nil
}

// peekOnce is what raw.Read runs for waitReadable: the first call peeks
// and reports whether anything is waiting, so that raw.Read waits for the
// socket only when nothing is; the call after a wait is done at once.
func (c *pollConn) peekOnce(fd uintptr) bool {
	if c.waited {
		return true
	}
	c.waited = true
	var b [1]byte
	_, _, errno := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return !errors.Is(errno, syscall.EAGAIN)
}
