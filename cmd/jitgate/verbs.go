package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/admin"
)

// listing fetches what a listing verb shows, as the profile's user.
type listing[T any] func(cmd *cobra.Command, c *admin.Client) ([]T, error)

// printer shows a listing in the format -o asked for.
type printer[T any] func(cmd *cobra.Command, format string, items []T) error

// newListCommand builds a verb that lists objects from the admin API and
// prints them as a table or, with -o json, as a JSON array. Callers add
// their own flags to the command it returns.
func newListCommand[T any](use, short string, fetch listing[T],
	show printer[T]) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, err := adminClient(cmd)
			if err != nil {
				return err
			}
			items, err := fetch(cmd, c)
			if err != nil {
				return err
			}
			return show(cmd, format, items)
		},
	}
	addOutputFlag(cmd, &format)
	return cmd
}

// action applies one admin API call to the object an ID names.
type action[T any] func(ctx context.Context, c *admin.Client, id string) (T, error)

// newActionCommand builds a verb that takes one ID, runs act on it and
// prints the line describe makes of the result.
func newActionCommand[T any](use, short string, act action[T],
	describe func(T) string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  namedArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := adminClient(cmd)
			if err != nil {
				return err
			}
			v, err := act(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), describe(v))
			return nil
		},
	}
}

func describeRequest(r admin.RequestView) string {
	return fmt.Sprintf("request %s is %s", r.ID, r.State)
}

func describeGrant(g admin.GrantView) string {
	return fmt.Sprintf("grant %s is %s", g.ID, g.State)
}
