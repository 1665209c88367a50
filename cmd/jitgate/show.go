package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/grants"
)

const showHelp = `Show one request: what was asked, the policy's notes on it, its history
(every approval and denial with who, when and comment) and, while it is
pending, what it still needs.`

func newRequestShowCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show REQUEST_ID",
		Short: "Show a request, its history and what it still needs",
		Long:  showHelp,
		Args:  namedArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, err := adminClient(cmd)
			if err != nil {
				return err
			}
			r, err := c.Request(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if format == formatJSON {
				return printJSON(cmd.OutOrStdout(), r)
			}
			printRequestDetail(cmd.OutOrStdout(), r)
			return nil
		},
	}
	addOutputFlag(cmd, &format)
	return cmd
}

// printRequestDetail writes r for people: its fields, the policy's notes,
// its history and what it still needs.
func printRequestDetail(w io.Writer, r admin.RequestView) {
	fields := [][2]string{
		{"request", r.ID}, {"resource", r.Resource}, {"user", r.User},
		{"state", string(r.State)}, {"for", r.Duration}, {"reason", orDash(r.Reason)},
		{"ticket", orDash(r.Ticket)}, {"grant", orDash(r.GrantID)},
	}
	for _, f := range fields {
		fmt.Fprintf(w, "%-9s %s\n", f[0], f[1])
	}

	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\npolicy:")
		for _, note := range r.Notes {
			fmt.Fprintf(w, "  %s\n", note)
		}
	}
	fmt.Fprintln(w, "\nhistory:")
	for _, line := range history(r) {
		fmt.Fprintf(w, "  %s\n", line)
	}
	if r.Needs != "" {
		fmt.Fprintf(w, "\n%s\n", r.Needs)
	}
}

// history lists what happened to r, oldest first.
func history(r admin.RequestView) []string {
	lines := []string{fmt.Sprintf("%s  requested by %s", stamp(r.CreatedAt), r.User)}
	for _, d := range r.Decisions {
		verb := "approved"
		if d.Verdict == grants.VerdictDeny {
			verb = "denied"
		}
		line := fmt.Sprintf("%s  %s by %s", stamp(d.At), verb, d.Approver)
		if d.Comment != "" {
			line += ": " + d.Comment
		}
		lines = append(lines, line)
	}

	switch {
	case r.Rule != "":
		lines = append(lines, fmt.Sprintf("%s  approved automatically by rule %s",
			stamp(r.DecidedAt), r.Rule))
	case r.State == grants.RequestExpired || r.State == grants.RequestCancelled:
		lines = append(lines, fmt.Sprintf("%s  %s", stamp(r.DecidedAt), r.State))
	}
	return lines
}
