package bench

import (
	"fmt"
	"strings"
)

// verdicts of a target.
const (
	metYes = "yes"
	metNo  = "**no**"
	metNA  = "not measured"
)

// verdict returns metYes when ok and metNo otherwise, or metNA when the
// measurement is missing.
func verdict(measured bool, ok bool) string {
	switch {
	case !measured:
		return metNA
	case ok:
		return metYes
	}
	return metNo
}

func (md *mdWriter) targets() {
	md.printf("\n## Targets\n\n")
	md.printf("A ratio is judged on the medians above. After it, \"rounds\" gives " +
		"the lowest and the highest ratio of a single round, where the two servers " +
		"ran one after the other: how far one measurement can stray on this machine.\n\n")
	md.head("target", "measured", "met")
	j := func(mode Mode, conns int) Result { return md.get(ServerJitgate, KexX25519, mode, conns) }

	full := md.fullRatio(ServerBare, KexX25519, busyConns)
	md.row(fmt.Sprintf("full handshakes ≥ 1.1x bare crypto/tls (%d conns)", busyConns),
		md.exactRounds(full, ServerBare, ModeFull, busyConns),
		verdict(full > 0, full >= 1.1))
	nginx := md.fullRatio(ServerNginx, KexX25519, busyConns)
	md.row("full handshakes ≥ 2.5x nginx",
		md.exactRounds(nginx, ServerNginx, ModeFull, busyConns),
		verdict(nginx > 0, nginx >= 2.5))
	md.row("full handshakes ≥ 1.3x ghostunnel", "ghostunnel is not packaged in Debian 12",
		metNA)
	res := md.modeRatio(ServerBare, ModeResumed, busyConns)
	md.row("resumed handshakes ≥ 1.0x bare, grant checked on each",
		md.exactRounds(res, ServerBare, ModeResumed, busyConns), verdict(res > 0, res >= 1.0))
	md.checkTargets()

	tpBare, tpNginx := md.bytesRatio(ServerBare, false), md.bytesRatio(ServerNginx, false)
	md.row("throughput ≥ 0.8x bare (MB/s)",
		md.exactRounds(tpBare, ServerBare, ModeThroughput, 1),
		verdict(tpBare > 0, tpBare >= 0.8))
	md.row("throughput ≥ 1.5x nginx (MB/s)",
		md.exactRounds(tpNginx, ServerNginx, ModeThroughput, 1),
		verdict(tpNginx > 0, tpNginx >= 1.5))
	bare := md.get(ServerBare, KexX25519, ModeRTT, 1).Latency.P50
	over := j(ModeRTT, 1).Latency.P50 - bare
	overNginx := md.get(ServerNginx, KexX25519, ModeRTT, 1).Latency.P50 - bare
	hasNginx := md.get(ServerNginx, KexX25519, ModeRTT, 1).Latency.P50 > 0
	md.row("round-trip overhead p50 below nginx's",
		fmt.Sprintf("%+.1f µs vs %+.1f µs", over, overNginx), verdict(hasNginx, over < overNginx))
	md.memoryTargets()
	md.heldTargets()
	md.row("hybrid post-quantum key exchange stays the default; tls.curves restricts it",
		"both shown above", metYes)
}

// checkTargets judges the grant-check benchmarks: a hit under 200 ns with
// no allocation at every size, and flat from the smallest size to the
// largest (within 1.5x), for hits spread over the grants and for hits on
// one grant.
func (md *mdWriter) checkTargets() {
	for _, kind := range []string{"each in turn", "the same one"} {
		var hits []CheckBench
		for _, c := range md.r.Checks {
			if strings.HasPrefix(c.Name, "hit") && strings.HasSuffix(c.Name, kind) {
				hits = append(hits, c)
			}
		}
		md.hitTargets(kind, hits)
	}
}

// hitTargets judges the hits of one kind, smallest table first.
func (md *mdWriter) hitTargets(kind string, hits []CheckBench) {
	goal := fmt.Sprintf("grant check hit (%s) < 200 ns, 0 allocs, flat from 1k "+
		"to 1M grants (within 1.5x)", kind)
	if len(hits) == 0 {
		md.row(goal, "", metNA)
		return
	}
	worst, allocs := 0.0, int64(0)
	for _, c := range hits {
		worst, allocs = max(worst, c.NsPerOp), max(allocs, c.AllocsPerOp)
	}
	flat := ratio(hits[len(hits)-1].NsPerOp, hits[0].NsPerOp)
	md.row(goal, fmt.Sprintf("at most %.0f ns, %d allocs; largest ÷ smallest %s",
		worst, allocs, times(flat)),
		verdict(true, worst < 200 && allocs == 0 && flat <= 1.5))
}

func (md *mdWriter) memoryTargets() {
	mem, nginx := md.memory(ServerJitgate), md.memory(ServerNginx)
	md.row("memory per idle connection below nginx's",
		fmt.Sprintf("%.1f KB vs %.1f KB", mem/1024, nginx/1024),
		verdict(mem > 0 && nginx > 0, mem < nginx))
	md.row("memory per idle connection under 32 KB", fmt.Sprintf("%.1f KB", mem/1024),
		verdict(mem > 0, mem < 32<<10))
}

func (md *mdWriter) heldTargets() {
	if h := md.r.Held; h != nil {
		r := md.heldRatio()
		md.row(fmt.Sprintf("%d idle connections held, handshake rate drop ≤ 10%%",
			h.Memory.Conns), exact(r), verdict(r > 0, r >= 0.9))
	} else {
		md.row("10,000 idle connections held, handshake rate drop ≤ 10%", "", metNA)
	}
	if c := md.r.Revocation; c != nil {
		md.row(fmt.Sprintf("revocation to disconnect of %d connections, p99 < 100 ms",
			c.Conns), fmt.Sprintf("%.1f ms, %d left open", c.Latency.P99/1e3, c.Open),
			verdict(true, c.Latency.P99 < 100e3 && c.Open == 0))
	} else {
		md.row("revocation to disconnect of 1,000 connections, p99 < 100 ms", "", metNA)
	}
}

// exactRounds formats a ratio of jitgate over peer as exact does, followed
// by the range of that ratio over the rounds, X25519; mode's throughput
// compares bytes per second, the others handshakes per CPU-second.
func (md *mdWriter) exactRounds(r float64, peer string, mode Mode, conns int) string {
	metric := func(res Result) float64 { return res.OpsPerCPUSec }
	if mode == ModeThroughput {
		metric = func(res Result) float64 { return res.BytesPerSec }
	}
	rs := roundRatios(md.r.Trials, trialKey{ServerJitgate, KexX25519, mode, conns},
		trialKey{peer, KexX25519, mode, conns}, metric)
	if r == 0 || len(rs) < 2 {
		return exact(r)
	}
	return fmt.Sprintf("%s; rounds %s–%s", exact(r), times(rs[0]), times(rs[len(rs)-1]))
}

// exact formats a ratio that a target judges, to three places, so that
// one just under its goal does not print as meeting it.
func exact(r float64) string {
	if r == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3fx", r)
}
