package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Why a tunnelled connection closed, as log values.
const (
	tunnelEOF        = "eof"
	tunnelLocalError = "local_error"
	tunnelProxyError = "proxy_error"
	tunnelShutdown   = "shutdown"
)

// Tunnel is the client side of `jitgate connect`. It accepts plain TCP on ln
// and carries each connection over mutual TLS to the proxy at proxyAddr with
// tlsConf (the grant certificate, the roots, the ServerName). The proxy's
// refusal reaches the local client as a closed connection; the reason is
// logged. Tunnel closes ln and every connection before it returns: nil once
// ctx ends, or the error that stopped ln.
func Tunnel(ctx context.Context, ln net.Listener, proxyAddr string, tlsConf *tls.Config,
	log *zap.Logger) error {
	if tlsConf == nil {
		ln.Close()
		return errors.New("tunnel: no TLS config")
	}
	t := &tunnel{
		log:  orNop(log).Named("tunnel"),
		addr: proxyAddr,
		dialer: &tls.Dialer{
			NetDialer: &net.Dialer{Timeout: DialTimeout},
			Config:    tlsConf,
		},
	}

	var conns sync.WaitGroup
	defer conns.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	context.AfterFunc(ctx, func() { ln.Close() })

	for {
		local, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("tunnel accept: %w", err)
		}
		conns.Go(func() { t.carry(ctx, local) })
	}
}

// tunnel is the state Tunnel shares among its connections.
type tunnel struct {
	log    *zap.Logger
	dialer *tls.Dialer
	addr   string
}

// carry tunnels one local connection to the proxy until either side ends.
func (t *tunnel) carry(ctx context.Context, local net.Conn) {
	start := time.Now()
	defer local.Close()

	remote, err := t.dialer.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		t.log.Warn("proxy refused or unreachable", zap.String(keyProxy, t.addr),
			zap.Error(err))
		return
	}
	defer remote.Close()

	stop := context.AfterFunc(ctx, func() {
		local.Close()
		remote.Close()
	})
	res, err := splice(local, remote)
	sent, received := res.ab, res.ba
	why := tunnelReason(err, !stop())

	level, msg := endMessage(why, received, res.bEndedFirst)
	t.log.Log(level, msg, zap.String(keyProxy, t.addr),
		zap.Int64(keyBytesSent, sent), zap.Int64(keyBytesRecv, received),
		zap.Duration(keyDuration, time.Since(start)), zap.String(keyReason, why),
		zap.Error(err))
}

// endMessage is how the tunnel logs a connection that ended for why after
// receiving received bytes from the proxy; proxyFirst is set when the
// proxy's side ended before the local client's. The proxy cuts a
// connection the same way whatever the cause; one it ends, before the
// client did, without a byte of reply is most often one over its grant's
// session limit, which no TLS alert can report.
func endMessage(why string, received int64, proxyFirst bool) (zapcore.Level, string) {
	const causes = "the grant may have ended or used up its sessions " +
		"(jitgate grants shows both)"
	switch {
	case why == tunnelProxyError:
		return zap.WarnLevel, "tunnel cut by the proxy: " + causes + ", or the service failed"
	case why == tunnelEOF && proxyFirst && received == 0:
		return zap.WarnLevel, "the proxy closed the connection without a reply: " + causes +
			", or the service closed it"
	}
	return zap.InfoLevel, "tunnel closed"
}

// tunnelReason says why a tunnelled connection ended, from the failure of its
// splice (local end first) and whether Tunnel was shutting down.
func tunnelReason(err error, shutdown bool) string {
	var ce *copyError
	switch {
	case shutdown:
		return tunnelShutdown
	case err == nil:
		return tunnelEOF
	case errors.As(err, &ce) && ce.at == endA:
		return tunnelLocalError
	default:
		return tunnelProxyError
	}
}
