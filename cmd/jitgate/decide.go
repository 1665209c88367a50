package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/admin"
)

func newRequestsCommand() *cobra.Command {
	var all, pending bool
	cmd := newListCommand("requests",
		"List your requests and, for approvers, the pending ones you may decide",
		func(cmd *cobra.Command, c *admin.Client) ([]admin.RequestView, error) {
			switch {
			case all && pending:
				return nil, errors.New("--all and --pending do not go together")
			case pending:
				return c.PendingRequests(cmd.Context())
			}
			return c.Requests(cmd.Context(), all)
		}, printRequests)
	cmd.Flags().BoolVar(&all, "all", false, "include decided and ended requests")
	cmd.Flags().BoolVar(&pending, "pending", false,
		"only pending requests you can act on: yours, and those you may decide")
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
type decision = action[admin.RequestView]

func newDecisionCommand(use, short string, run decision) *cobra.Command {
	return newActionCommand(use, short, run, describeRequest)
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
	cmd := newDecisionCommand("deny REQUEST_ID --reason TEXT",
		"Deny a pending request; it ends at once, whatever approvals it had",
		func(ctx context.Context, c *admin.Client, id string) (admin.RequestView, error) {
			if comment == "" {
				return admin.RequestView{}, errors.New("--comment or --reason: say why it is denied")
			}
			return c.Deny(ctx, id, comment)
		})
	f := cmd.Flags()
	f.StringVar(&comment, "comment", "", "why the request is denied (this or --reason is required)")
	f.StringVar(&comment, "reason", "", "the same as --comment")
	cmd.MarkFlagsMutuallyExclusive("comment", "reason")
	return cmd
}

func newCancelCommand() *cobra.Command {
	return newDecisionCommand("cancel REQUEST_ID", "Withdraw your own pending request",
		func(ctx context.Context, c *admin.Client, id string) (admin.RequestView, error) {
			return c.Cancel(ctx, id)
		})
}
