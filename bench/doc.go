// Package bench measures jitgate's hot path and compares it, on loopback,
// with a bare crypto/tls server and with the proxies people use today.
//
// It owns:
//
//   - the fixture (Setup): a jitgate CA, a SQLite store with active grants
//     approved through the grants service, and the PEM files every server
//     under test and every client share: ECDSA P-256 throughout, the
//     client sending its leaf alone, as `jitgate request` writes it;
//   - the servers: the gateway (RunGateway), jitgate's proxy built from its
//     packages and wired as `jitgate serve` wires it; the bare crypto/tls
//     echo server (BareConfig), which verifies client certificates and
//     checks no grant; the TCP echo upstream (ServeEcho); and the
//     configurations of nginx and HAProxy;
//   - the load generator (Run, Hold), which drives real sockets, counts
//     the server's CPU time from /proc and reports rates per server
//     CPU-second, latency percentiles and bytes per second;
//   - the harness (Compare), which pins servers and load to separate cores,
//     interleaves the servers round after round, and writes a Markdown
//     report with an SVG chart (make bench-peers, results in bench/results);
//   - the Go benchmarks of the grant check (GrantCheckHit, GrantCheckMiss,
//     GrantCheckRevoked) and of a whole loopback connection.
//
// The micro-benchmarks that need the proxy's internals sit beside it, in
// proxy/bench_test.go: the inline check, the verification cache hit and
// miss, full and resumed handshakes in memory with the check on, off and
// replaced by x509 verification, and the metrics recorder on and off. Every
// benchmark's comment says what it isolates; compare two runs with
//
//	go test -run '^$' -bench . -benchmem -count 10 ./bench ./proxy > new.txt
//	go tool -modfile=tools/go.mod benchstat old.txt new.txt
//
// The package is a tool: nothing in jitgate's binary imports it. Its loads
// refuse addresses off loopback and are bounded in time and operations.
package bench
