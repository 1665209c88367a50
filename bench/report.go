package bench

import (
	"fmt"
	"io"
	"strings"
)

// Names of the servers in a report.
var serverTitles = map[string]string{
	ServerJitgate: "jitgate",
	ServerBare:    "bare crypto/tls",
	ServerNginx:   "nginx stream",
	ServerHAProxy: "HAProxy",
}

// title returns the report name of a server.
func title(server string) string {
	if t, ok := serverTitles[server]; ok {
		return t
	}
	return server
}

// WriteMarkdown writes the report as Markdown: the machine, then a table
// of medians and ratios per measurement, then the targets.
func (r *Report) WriteMarkdown(w io.Writer, chart string) error {
	md := &mdWriter{w: w, r: r, m: medianResults(r.Trials)}
	md.header(chart)
	md.fullTable()
	md.otherTable()
	md.hybridTable()
	md.heldSection()
	md.checkTable()
	md.profileTable()
	md.targets()
	return md.err
}

// mdWriter writes one report, keeping the first write error.
type mdWriter struct {
	w   io.Writer
	r   *Report
	m   medians
	err error
}

func (md *mdWriter) printf(format string, args ...any) {
	if md.err == nil {
		_, md.err = fmt.Fprintf(md.w, format, args...)
	}
}

// row writes one table row.
func (md *mdWriter) row(cells ...string) {
	md.printf("| %s |\n", strings.Join(cells, " | "))
}

// head writes a table's header row and its rule.
func (md *mdWriter) head(cells ...string) {
	md.row(cells...)
	rule := make([]string, len(cells))
	for i := range rule {
		rule[i] = "---:"
	}
	rule[0] = "---"
	md.row(rule...)
}

func (md *mdWriter) header(chart string) {
	m, s := md.r.Machine, md.r.Settings
	md.printf("# jitgate side by side with its peers\n\n")
	md.printf("Made by `make bench-peers` on %s. Every figure below is a median "+
		"of %d rounds run in this one session, the servers interleaved in each "+
		"round; compare ratios, not absolute numbers: the machine is shared.\n\n",
		m.Date, s.Rounds)
	md.printf("- Machine: %d CPUs (%s), Linux %s, %s\n", m.CPUs, m.CPUModel,
		m.Kernel, m.Go)
	md.printf("- Peers: %s; %s\n", orNone(m.Nginx), orNone(m.HAProxy))
	md.printf("- Servers pinned to core %d; load generator and echo upstream to "+
		"core %d (load CPUs %s); load average at start %s\n", m.ServerCore,
		m.LoadCore, m.LoadCPUs, m.LoadAvg)
	md.printf("- Each load: %s warm-up, %s measured; ECDSA P-256 certificates from "+
		"jitgate's CA; the client sends its leaf only, as `jitgate request` "+
		"writes it\n", s.Warmup, s.Duration)
	for _, n := range md.r.Notes {
		md.printf("- Note: %s\n", n)
	}
	if chart != "" {
		md.printf("\n![full handshakes per server CPU-second by concurrency](%s)\n", chart)
	}
}

// orNone returns s, or "not installed" when empty.
func orNone(s string) string {
	if s == "" {
		return "not installed"
	}
	return s
}

// servers returns the servers of the X25519 runs, in report order.
func (md *mdWriter) servers() []string {
	return md.r.Settings.Servers
}

// get returns the median result of one server's load.
func (md *mdWriter) get(server string, kex Kex, mode Mode, conns int) Result {
	return md.m[trialKey{server, kex, mode, conns}]
}

func (md *mdWriter) fullTable() {
	conc := md.r.Settings.Concurrency
	md.printf("\n## Full handshakes per server CPU-second, X25519\n\n")
	md.printf("A new connection, a full TLS 1.3 handshake with a client " +
		"certificate, one 64-byte echo, close. jitgate checks the grant inline " +
		"and splices to the echo upstream; the bare server verifies the chain " +
		"with crypto/tls and echoes itself.\n\n")
	cells := []string{"server"}
	for _, c := range conc {
		cells = append(cells, plural(c, "conn"))
	}
	md.head(cells...)
	for _, s := range md.servers() {
		cells := []string{title(s)}
		for _, c := range conc {
			cells = append(cells, fmt.Sprintf("%.0f", md.get(s, KexX25519, ModeFull, c).OpsPerCPUSec))
		}
		md.row(cells...)
	}
	for _, peer := range md.peersOfJitgate() {
		cells := []string{"jitgate ÷ " + title(peer)}
		for _, c := range conc {
			cells = append(cells, times(md.fullRatio(peer, KexX25519, c)))
		}
		md.row(cells...)
	}
}

// peersOfJitgate returns the servers jitgate is compared with.
func (md *mdWriter) peersOfJitgate() []string {
	var out []string
	for _, s := range md.servers() {
		if s != ServerJitgate {
			out = append(out, s)
		}
	}
	return out
}

// fullRatio is jitgate's full-handshake rate over peer's.
func (md *mdWriter) fullRatio(peer string, kex Kex, conns int) float64 {
	return ratio(md.get(ServerJitgate, kex, ModeFull, conns).OpsPerCPUSec,
		md.get(peer, kex, ModeFull, conns).OpsPerCPUSec)
}

// times formats a ratio.
func times(r float64) string {
	if r == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", r)
}

// plural returns n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
