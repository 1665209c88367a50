// Package proxy is jitgate's mutual-TLS front door. It owns the listeners and
// their tls.Config, the inline check that runs inside every handshake (chain
// verification through a cache, then the grant check), the L4 splice between
// a client and its upstream, the registry of live connections per grant that
// lets a revoked or ended grant be cut at once, and the handshake metrics.
//
// The decision is made in tls.Config.VerifyConnection, which crypto/tls runs
// on full and resumed handshakes alike, so a session ticket issued while a
// grant was live cannot outlast it. Every refusal is a generic bad_certificate
// alert for the client; the reason goes to the debug log and to a metric.
//
// The package also holds the client half of `jitgate connect` (Tunnel).
//
// It must not write to the grants store: it reads decisions through Checker
// and is told about ended grants through EndGrant.
package proxy
