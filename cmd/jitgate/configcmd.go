package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/config"
)

// keyConfig is the log key of a config file's path.
const keyConfig = "config"

const configCheckHelp = `Read FILE as jitgate serve would, with the secret and
connection string files it names, and report the first problem, with its
line and column, such as:

  jitgate.yaml:14:7: resources[db].policy.approvals: 3 approvals can never
  be given: only 2 of the approvers (bob, carol) can approve any one request

It checks every policy: keys, durations, user and group names, ticket
patterns, time windows and their time zones, approvals the listed approvers
cannot give, and automatic approval rules that no request can reach. Run it
before sending a running jitgate SIGHUP, which reloads the policies from the
same file and keeps the running ones when the file is refused.`

func newConfigCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check a config file",
	}
	cmd.AddCommand(newConfigCheckCommand())
	return cmd
}

func newConfigCheckCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE",
		Short: "Check a config file and its policies without serving it",
		Long:  configCheckHelp,
		Args:  namedArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(args[0])
			if err != nil {
				return err
			}
			if err := checkFiles(cfg); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok, %s, %s\n", args[0],
				count(len(cfg.Resources), "resource"), count(len(cfg.Webhooks), "webhook"))
			for _, r := range cfg.Resources {
				p := admin.PolicyViewOf(r.Policy.Policy)
				fmt.Fprintf(cmd.OutOrStdout(), "  %s: approval %s%s\n", r.Name,
					approvalText(p), grantSuffix(p))
			}
			return nil
		},
	}
}

// checkFiles checks the files the config points at the way serve does:
// the webhooks' secrets, the SQLite store and the PostgreSQL connection
// string, so a file serve would refuse (missing, open to others, too
// short) fails the check too.
func checkFiles(cfg *config.Config) error {
	if _, err := notifyWebhooks(cfg.Webhooks); err != nil {
		return err
	}
	if !cfg.Store.Postgres() {
		return checkSQLiteFile(cfg)
	}
	_, err := cfg.Store.ReadDSN()
	return err
}

// count says n of thing, in the plural unless n is one.
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
