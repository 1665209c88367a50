package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/admin"
)

func newRequestsCommand() *cobra.Command {
	var all, pending bool
	var format string
	cmd := &cobra.Command{
		Use:   "requests",
		Short: "List your requests and, for approvers, the pending ones you may decide",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if all && pending {
				return errors.New("--all and --pending do not go together")
			}
			c, err := adminClient(cmd)
			if err != nil {
				return err
			}
			list := c.Requests
			if pending {
				list = func(ctx context.Context, _ bool) ([]admin.RequestView, error) {
					return c.PendingRequests(ctx)
				}
			}
			reqs, err := list(cmd.Context(), all)
			if err != nil {
				return err
			}
			return printRequests(cmd, format, reqs)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include decided and ended requests")
	cmd.Flags().BoolVar(&pending, "pending", false,
		"only pending requests you can act on: yours, and those you may decide")
	addOutputFlag(cmd, &format)
	cmd.AddCommand(newRequestShowCommand())
	return cmd
}

func printRequests(cmd *cobra.Command, format string, reqs []admin.RequestView) error {
	if format == formatJSON {
		return printJSON(cmd.OutOrStdout(), reqs)
	}
	rows := make([][]string, 0, len(reqs))
	for _, r := range reqs {
		rows = append(rows, []string{r.ID, string(r.State), r.User, r.Resource, r.Duration,
			stamp(r.CreatedAt), r.Reason, orDash(r.Needs)})
	}
	header := []string{"ID", "STATE", "USER", "RESOURCE", "FOR", "CREATED", "REASON",
		"NEEDS"}
	return printTable(cmd.OutOrStdout(), header, rows)
}

// decision is one of approve, deny, cancel applied to a request ID.
type decision func(ctx context.Context, c *admin.Client, id string) (admin.RequestView, error)

func newDecisionCommand(use, short string, run decision) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := adminClient(cmd)
			if err != nil {
				return err
			}
			r, err := run(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "request %s is %s\n", r.ID, r.State)
			return nil
		},
	}
}

func newApproveCommand() *cobra.Command {
	var comment string
	cmd := newDecisionCommand("approve REQUEST_ID [--comment TEXT]",
		"Approve a pending request",
		func(ctx context.Context, c *admin.Client, id string) (admin.RequestView, error) {
			return c.Approve(ctx, id, comment)
		})
	cmd.Flags().StringVar(&comment, "comment", "", "a note kept with the approval")
	return cmd
}

func newDenyCommand() *cobra.Command {
	var comment string
	cmd := newDecisionCommand("deny REQUEST_ID --comment TEXT",
		"Deny a pending request; it ends at once, whatever approvals it had",
		func(ctx context.Context, c *admin.Client, id string) (admin.RequestView, error) {
			if comment == "" {
				return admin.RequestView{}, errors.New("--comment: say why it is denied")
			}
			return c.Deny(ctx, id, comment)
		})
	f := cmd.Flags()
	f.StringVar(&comment, "comment", "", "why the request is denied (required)")
	// --reason is the flag's earlier name. MarkHidden fails only for a flag
	// that does not exist.
	f.StringVar(&comment, "reason", "", "same as --comment")
	_ = f.MarkHidden("reason")
	return cmd
}

func newCancelCommand() *cobra.Command {
	return newDecisionCommand("cancel REQUEST_ID", "Withdraw your own pending request",
		func(ctx context.Context, c *admin.Client, id string) (admin.RequestView, error) {
			return c.Cancel(ctx, id)
		})
}
