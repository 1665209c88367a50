package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/grants"
)

func newAuditCommand() *cobra.Command {
	var limit int
	cmd := newListCommand("audit", "Show the newest audit events (admin)",
		func(cmd *cobra.Command, c *admin.Client) ([]grants.Event, error) {
			return c.Audit(cmd.Context(), limit)
		}, printEvents)
	cmd.Flags().IntVar(&limit, "limit", 50, "how many of the newest events to show")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if limit < 1 {
			return fmt.Errorf("--limit: %d is not a positive number of events", limit)
		}
		return nil
	}
	return cmd
}

func printEvents(cmd *cobra.Command, format string, events []grants.Event) error {
	if format == formatJSON {
		return printJSON(cmd.OutOrStdout(), events)
	}
	rows := make([][]string, 0, len(events))
	for _, e := range events {
		rows = append(rows, []string{strconv.FormatInt(e.Seq, 10), stamp(e.At),
			e.Actor, e.Action, e.Subject, e.Detail})
	}
	header := []string{"SEQ", "AT", "ACTOR", "ACTION", "SUBJECT", "DETAIL"}
	return printTable(cmd.OutOrStdout(), header, rows)
}
