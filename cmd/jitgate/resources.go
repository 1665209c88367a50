package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/admin"
)

const resourcesHelp = `List the resources you may request and the policy of
each: the longest grant, what a request must carry, how it is approved, and
the conditions of the grant. Automatic approval rules are listed after the
table, in the order they are tried; the first that matches approves.`

func newResourcesCommand() *cobra.Command {
	cmd := newListCommand("resources",
		"List the resources you can request and their policies",
		func(cmd *cobra.Command, c *admin.Client) ([]admin.ResourceInfo, error) {
			return c.Resources(cmd.Context())
		},
		func(cmd *cobra.Command, format string, list []admin.ResourceInfo) error {
			return printResources(cmd.OutOrStdout(), format, list)
		})
	cmd.Long = resourcesHelp
	return cmd
}

func printResources(w io.Writer, format string, list []admin.ResourceInfo) error {
	if format == formatJSON {
		return printJSON(w, list)
	}

	rows := make([][]string, 0, len(list))
	for _, r := range list {
		p := r.Policy
		rows = append(rows, []string{r.Name, orDash(r.Address), orDash(r.ServerName),
			maxText(p), needsText(p), approvalText(p), grantText(p)})
	}
	header := []string{"NAME", "ADDRESS", "SERVER NAME", "MAX", "REQUEST NEEDS",
		"APPROVAL", "GRANT"}
	if err := printTable(w, header, rows); err != nil {
		return err
	}
	printRules(w, list)
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func maxText(p admin.PolicyView) string {
	if p.Cap {
		return p.MaxDuration + " (longer is shortened)"
	}
	return p.MaxDuration
}

func needsText(p admin.PolicyView) string {
	var needs []string
	if p.RequireReason {
		needs = append(needs, "reason")
	}
	if p.TicketPattern != "" {
		needs = append(needs, "ticket "+p.TicketPattern)
	}
	return orDash(strings.Join(needs, ", "))
}

// approvalText says how a request is approved: "always", "2 from
// group:db-leads", or "rules, else 1 from any approver".
func approvalText(p admin.PolicyView) string {
	if p.AutoApprove == "always" {
		return "automatic"
	}
	from := "any approver"
	if len(p.Approvers) > 0 {
		from = strings.Join(p.Approvers, ", ")
	}
	manual := fmt.Sprintf("%d from %s", p.Approvals, from)
	if p.AutoApprove == "rules" {
		return "rules, else " + manual
	}
	return manual
}

func grantText(p admin.PolicyView) string {
	var parts []string
	switch {
	case p.MaxSessions == 1:
		parts = append(parts, "single use")
	case p.MaxSessions > 1:
		parts = append(parts, fmt.Sprintf("%d sessions", p.MaxSessions))
	}
	if p.IdleTimeout != "" {
		parts = append(parts, "ends idle after "+p.IdleTimeout)
	}
	return orDash(strings.Join(parts, ", "))
}

// grantSuffix is grantText after a "; grant: " for a grant with limits,
// and nothing for one without.
func grantSuffix(p admin.PolicyView) string {
	if text := grantText(p); text != "-" {
		return "; grant: " + text
	}
	return ""
}

// printRules lists the automatic approval rules of each resource.
func printRules(w io.Writer, list []admin.ResourceInfo) {
	for _, r := range list {
		if len(r.Policy.Rules) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nautomatic approval of %s, first matching rule:\n", r.Name)
		for _, rule := range r.Policy.Rules {
			fmt.Fprintf(w, "  %s: %s\n", rule.Name, ruleText(rule))
		}
	}
}

func ruleText(r admin.RuleView) string {
	var conds []string
	if len(r.Requesters) > 0 {
		conds = append(conds, "requester is "+strings.Join(r.Requesters, " or "))
	}
	if r.MaxDuration != "" {
		conds = append(conds, "at most "+r.MaxDuration)
	}
	if r.Window != "" {
		conds = append(conds, "within "+r.Window)
	}
	if r.Ticket {
		conds = append(conds, "with a ticket")
	}
	if len(conds) == 0 {
		return "every request"
	}
	return strings.Join(conds, ", ")
}
