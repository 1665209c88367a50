package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/admin"
)

func newGrantsCommand() *cobra.Command {
	var all bool
	cmd := newListCommand("grants",
		"List active grants (yours, or all for approvers and admins)",
		func(cmd *cobra.Command, c *admin.Client) ([]admin.GrantView, error) {
			return c.Grants(cmd.Context(), all)
		}, printGrants)
	cmd.Flags().BoolVar(&all, "all", false, "include ended grants")
	return cmd
}

func printGrants(cmd *cobra.Command, format string, gs []admin.GrantView) error {
	if format == formatJSON {
		return printJSON(cmd.OutOrStdout(), gs)
	}
	rows := make([][]string, 0, len(gs))
	for _, g := range gs {
		rows = append(rows, []string{g.ID, string(g.State), g.User, g.Resource,
			stamp(g.NotBefore), stamp(g.NotAfter), sessionsUsed(g), g.EndReason})
	}
	header := []string{"ID", "STATE", "USER", "RESOURCE", "FROM", "UNTIL", "SESSIONS",
		"ENDED"}
	return printTable(cmd.OutOrStdout(), header, rows)
}

// sessionsUsed shows a grant's connections against its limit, as "2/3",
// so that a refused connection is explained where the grant is listed;
// "-" for a grant without a limit.
func sessionsUsed(g admin.GrantView) string {
	if g.MaxSessions == 0 || g.Sessions == nil {
		return "-"
	}
	return fmt.Sprintf("%d/%d", *g.Sessions, g.MaxSessions)
}

// ending is revoke or release applied to a grant ID.
type ending = action[admin.GrantView]

func newEndingCommand(use, short string, run ending) *cobra.Command {
	return newActionCommand(use, short, run, describeGrant)
}

func newRevokeCommand() *cobra.Command {
	var reason string
	cmd := newEndingCommand("revoke GRANT_ID --reason TEXT",
		"Revoke a grant now and cut its connections (admin)",
		func(ctx context.Context, c *admin.Client, id string) (admin.GrantView, error) {
			return c.Revoke(ctx, id, reason)
		})
	cmd.Flags().StringVar(&reason, "reason", "", "why the grant is revoked (required)")
	return cmd
}

func newReleaseCommand() *cobra.Command {
	return newEndingCommand("release GRANT_ID",
		"Hand your grant back early (task done); its connections close",
		func(ctx context.Context, c *admin.Client, id string) (admin.GrantView, error) {
			return c.Release(ctx, id)
		})
}
