package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/grants"
)

func newAuditCommand() *cobra.Command {
	var limit int
	var format string
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the newest audit events (admin)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, err := adminClient(cmd)
			if err != nil {
				return err
			}
			events, err := c.Audit(cmd.Context(), limit)
			if err != nil {
				return err
			}
			return printEvents(cmd, format, events)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "how many of the newest events to show")
	addOutputFlag(cmd, &format)
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
