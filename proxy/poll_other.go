//go:build !linux

package proxy

import "net"

// pollable returns c: reads that do not block are implemented on Linux
// only, and elsewhere a splice holds its buffers while idle.
func pollable(c net.Conn) net.Conn { return c }

// lazyReads returns c as a splice source whose reads block.
func lazyReads(c net.Conn) source { return source{Conn: c} }

// corkedSink returns c as a splice sink whose writes are not corked.
func corkedSink(c net.Conn) sink { return sink{Conn: c} }
