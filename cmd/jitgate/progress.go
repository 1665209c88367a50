package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/grants"
)

// clearLine moves a terminal's cursor to the start of the line and erases
// it (ANSI CR + EL).
const clearLine = "\r\033[K"

// progressPrinter shows how a pending request is getting on: on a
// terminal as one status line rewritten in place, elsewhere as one line
// each time it changes.
type progressPrinter struct {
	w    io.Writer
	tty  bool
	last string
}

// newProgressPrinter writes to f, rewriting lines when f is a terminal.
func newProgressPrinter(f *os.File) *progressPrinter {
	return &progressPrinter{w: f, tty: isTerminal(f)}
}

// isTerminal reports whether f is a character device, as a terminal is.
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// show prints r's status when it changed since the last call.
func (p *progressPrinter) show(r admin.RequestView) {
	line := statusLine(r)
	if line == p.last {
		return
	}
	p.last = line

	if p.tty {
		fmt.Fprint(p.w, clearLine+line)
		return
	}
	fmt.Fprintln(p.w, line)
}

// done ends the status line on a terminal.
func (p *progressPrinter) done() {
	if p.tty && p.last != "" {
		fmt.Fprintln(p.w)
	}
}

// statusLine says where r stands: "request req_x is pending: approved by
// bob; needs 1 more approval from group:db-leads".
func statusLine(r admin.RequestView) string {
	if r.State != grants.RequestPending && r.State != grants.RequestApproved {
		return outcome(r)
	}
	parts := []string{fmt.Sprintf("request %s is %s", r.ID, r.State)}
	if by := approvers(r); len(by) > 0 {
		parts = append(parts, "approved by "+strings.Join(by, ", "))
	}
	if r.Needs != "" {
		parts = append(parts, r.Needs)
	}
	if r.Rule != "" {
		parts = append(parts, "by rule "+r.Rule)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return parts[0] + ": " + strings.Join(parts[1:], "; ")
}

// approvers lists who approved r, each once, in order.
func approvers(r admin.RequestView) []string {
	var names []string
	for _, d := range r.Decisions {
		if d.Verdict == grants.VerdictApprove && !slices.Contains(names, d.Approver) {
			names = append(names, d.Approver)
		}
	}
	return names
}

// outcome says why a request that left pending was not approved: who
// denied it and why, or that it expired or was cancelled.
func outcome(r admin.RequestView) string {
	for _, d := range r.Decisions {
		if d.Verdict == grants.VerdictDeny {
			return fmt.Sprintf("request %s was denied by %s: %s", r.ID, d.Approver,
				d.Comment)
		}
	}
	if r.State == grants.RequestExpired {
		return fmt.Sprintf("request %s expired: nobody decided it in time", r.ID)
	}
	return fmt.Sprintf("request %s was %s", r.ID, r.State)
}
