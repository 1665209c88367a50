package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/admin"
)

func newGrantsCommand() *cobra.Command {
	var all bool
	var format string
	cmd := &cobra.Command{
		Use:   "grants",
		Short: "List active grants (yours, or all for approvers and admins)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, err := adminClient(cmd)
			if err != nil {
				return err
			}
			gs, err := c.Grants(cmd.Context(), all)
			if err != nil {
				return err
			}
			return printGrants(cmd, format, gs)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include ended grants")
	addOutputFlag(cmd, &format)
	return cmd
}

func printGrants(cmd *cobra.Command, format string, gs []admin.GrantView) error {
	if format == formatJSON {
		return printJSON(cmd.OutOrStdout(), gs)
	}
	rows := make([][]string, 0, len(gs))
	for _, g := range gs {
		rows = append(rows, []string{g.ID, string(g.State), g.User, g.Resource,
			stamp(g.NotBefore), stamp(g.NotAfter), g.EndReason})
	}
	header := []string{"ID", "STATE", "USER", "RESOURCE", "FROM", "UNTIL", "ENDED"}
	return printTable(cmd.OutOrStdout(), header, rows)
}

// ending is revoke or release applied to a grant ID.
type ending func(ctx context.Context, c *admin.Client, id string) (admin.GrantView, error)

func newEndingCommand(use, short string, run ending) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := adminClient(cmd)
			if err != nil {
				return err
			}
			g, err := run(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "grant %s is %s\n", g.ID, g.State)
			return nil
		},
	}
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
