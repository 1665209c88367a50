package bench

import "fmt"

func (md *mdWriter) otherTable() {
	md.printf("\n## Resumption, throughput, round trips and memory, X25519\n\n")
	md.printf("Resumed: as above with TLS 1.3 session tickets, %d connections at "+
		"once. Throughput: one connection streaming %d KB writes both ways. Round "+
		"trip: one connection, one 64-byte echo at a time; \"over bare\" is the "+
		"p50 minus the bare server's. Memory: resident memory added per idle "+
		"connection held (client and upstream side together).\n\n",
		busyConns, ChunkSize>>10)
	md.head("server", "resumed /cpu-s", "MB/s", "MB /cpu-s", "RTT p50 µs",
		"p99 µs", "p999 µs", "p50 over bare µs", "idle KB/conn")
	bare := md.get(ServerBare, KexX25519, ModeRTT, 1).Latency.P50
	for _, s := range md.servers() {
		res := md.get(s, KexX25519, ModeResumed, busyConns)
		tp := md.get(s, KexX25519, ModeThroughput, 1)
		rtt := md.get(s, KexX25519, ModeRTT, 1)
		md.row(title(s), fmt.Sprintf("%.0f", res.OpsPerCPUSec),
			fmt.Sprintf("%.0f", tp.BytesPerSec/1e6),
			fmt.Sprintf("%.0f", tp.BytesPerCPUSec/1e6),
			fmt.Sprintf("%.0f", rtt.Latency.P50), fmt.Sprintf("%.0f", rtt.Latency.P99),
			fmt.Sprintf("%.0f", rtt.Latency.P999),
			fmt.Sprintf("%+.0f", rtt.Latency.P50-bare), md.memoryKB(s))
	}
	for _, peer := range md.peersOfJitgate() {
		md.row("jitgate ÷ "+title(peer), times(md.modeRatio(peer, ModeResumed, busyConns)),
			times(md.bytesRatio(peer, false)), times(md.bytesRatio(peer, true)),
			"", "", "", "", times(ratio(md.memory(ServerJitgate), md.memory(peer))))
	}
}

// modeRatio is jitgate's rate of a mode over peer's, X25519.
func (md *mdWriter) modeRatio(peer string, mode Mode, conns int) float64 {
	return ratio(md.get(ServerJitgate, KexX25519, mode, conns).OpsPerCPUSec,
		md.get(peer, KexX25519, mode, conns).OpsPerCPUSec)
}

// bytesRatio is jitgate's throughput over peer's, per CPU-second or per
// second.
func (md *mdWriter) bytesRatio(peer string, perCPU bool) float64 {
	j := md.get(ServerJitgate, KexX25519, ModeThroughput, 1)
	p := md.get(peer, KexX25519, ModeThroughput, 1)
	if perCPU {
		return ratio(j.BytesPerCPUSec, p.BytesPerCPUSec)
	}
	return ratio(j.BytesPerSec, p.BytesPerSec)
}

// memory returns the bytes per idle connection of server, 0 when not
// measured.
func (md *mdWriter) memory(server string) float64 {
	for _, m := range md.r.Memory {
		if m.Server == server {
			return m.PerConn
		}
	}
	return 0
}

// memoryKB formats memory in KB.
func (md *mdWriter) memoryKB(server string) string {
	if m := md.memory(server); m != 0 {
		return fmt.Sprintf("%.1f", m/1024)
	}
	return "n/a"
}

func (md *mdWriter) hybridTable() {
	md.printf("\n## Hybrid post-quantum key exchange (Go's default, X25519MLKEM768)\n\n")
	md.printf("nginx and HAProxy, built with OpenSSL 3.0, cannot negotiate it; " +
		"jitgate runs with its default curves, the bare server too.\n\n")
	md.head("server", "full /cpu-s", "resumed /cpu-s", "full, hybrid ÷ X25519")
	for _, s := range []string{ServerJitgate, ServerBare} {
		full := md.get(s, KexHybrid, ModeFull, busyConns).OpsPerCPUSec
		md.row(title(s), fmt.Sprintf("%.0f", full),
			fmt.Sprintf("%.0f", md.get(s, KexHybrid, ModeResumed, busyConns).OpsPerCPUSec),
			times(ratio(full, md.get(s, KexX25519, ModeFull, busyConns).OpsPerCPUSec)))
	}
	md.row("jitgate ÷ bare crypto/tls", times(md.fullRatio(ServerBare, KexHybrid, busyConns)),
		times(ratio(md.get(ServerJitgate, KexHybrid, ModeResumed, busyConns).OpsPerCPUSec,
			md.get(ServerBare, KexHybrid, ModeResumed, busyConns).OpsPerCPUSec)), "")
}

func (md *mdWriter) heldSection() {
	if h := md.r.Held; h != nil {
		md.printf("\n## jitgate with %d idle connections held\n\n", h.Memory.Conns)
		md.printf("Full handshakes per server CPU-second, X25519, %d connections "+
			"at once: without them %s, with them %s (median ratio %s); resident "+
			"memory %.1f KB per held connection.\n", busyConns, floats(h.Free),
			floats(h.Loaded), times(md.heldRatio()), h.Memory.PerConn/1024)
	}
	if c := md.r.Revocation; c != nil {
		md.printf("\n## Revocation to disconnect\n\n")
		md.printf("%d live connections of one grant; from the revoke request "+
			"to each client reading its end: p50 %.1f ms, p99 %.1f ms, max %.1f ms; "+
			"%d still open after %s.\n", c.Conns, c.Latency.P50/1e3,
			c.Latency.P99/1e3, c.Latency.Max/1e3, c.Open, cutWait)
	}
}

// heldRatio is the median rate with connections held over the median
// without.
func (md *mdWriter) heldRatio() float64 {
	h := md.r.Held
	if h == nil {
		return 0
	}
	id := func(v float64) float64 { return v }
	return ratio(median(h.Loaded, id), median(h.Free, id))
}

// floats formats rates.
func floats(vs []float64) string {
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%.0f", v)
	}
	return s
}

func (md *mdWriter) checkTable() {
	if len(md.r.Checks) == 0 {
		return
	}
	md.printf("\n## The inline grant check alone\n\n")
	md.printf("grants.Table.Check run by testing.Benchmark on the load core. The " +
		"floor rows time one lookup in a plain Go map of as many entries, each in " +
		"turn: what reaching one entry of a table that size costs on this machine, " +
		"before any check.\n\n")
	md.head("case", "ns/op", "allocs/op", "B/op")
	for _, c := range md.r.Checks {
		md.row(c.Name, fmt.Sprintf("%.0f", c.NsPerOp), fmt.Sprint(c.AllocsPerOp),
			fmt.Sprint(c.BytesPerOp))
	}
}

func (md *mdWriter) profileTable() {
	full, tp := md.r.Profile[ModeFull], md.r.Profile[ModeThroughput]
	if len(full) == 0 || len(tp) != len(full) {
		return
	}
	md.printf("\n## Where jitgate's CPU goes\n\n")
	md.printf("Flat samples of jitgate's CPU profiles taken under load, by kind " +
		"of code (profiles/cpu-*.pprof; read them with `go tool pprof -top " +
		"bin/jgserve FILE`). \"jitgate's own code\" is the verification cache, " +
		"the grant check, the registry of live connections, the splice's " +
		"bookkeeping, metrics and logs.\n\n")
	md.head("kind of code", fmt.Sprintf("full handshakes, %d conns", busyConns),
		"throughput, 1 conn")
	for i, s := range full {
		md.row(s.Category, fmt.Sprintf("%.1f%%", s.Percent),
			fmt.Sprintf("%.1f%%", tp[i].Percent))
	}
}
