package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/config"
)

func newUsersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage users (admin)",
	}
	cmd.AddCommand(newUsersAddCommand(), newUsersUpdateCommand(), newUsersListCommand(),
		newUsersDisableCommand(), newUsersTokenCommand())
	return cmd
}

func newUsersAddCommand() *cobra.Command {
	var roles, groups string
	cmd := &cobra.Command{
		Use:   "add NAME [--roles requester[,approver,admin]] [--groups a,b]",
		Short: "Add a user and print a one-time enrolment token on standard output",
		Args:  namedArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := adminClient(cmd)
			if err != nil {
				return err
			}
			u, token, err := c.AddUser(cmd.Context(), args[0], splitList(roles),
				splitList(groups)...)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "added %s (%s); enrolment token, valid 24h, on standard output\n",
				u.Name, strings.Join(u.Roles, ","))
			fmt.Fprintln(cmd.OutOrStdout(), token)
			return nil
		},
	}
	cmd.Flags().StringVar(&roles, "roles", "requester", "comma-separated roles: requester, approver, admin")
	cmd.Flags().StringVar(&groups, "groups", "",
		"comma-separated groups, which policies name as group:NAME")
	return cmd
}

const usersUpdateHelp = `Replace a user's roles, groups or both. A flag left
out leaves that list as it is; --groups "" empties the groups. Policies see the
change at the user's next request or decision; grants already active keep
running.`

func newUsersUpdateCommand() *cobra.Command {
	var roles, groups string
	cmd := &cobra.Command{
		Use:   "update NAME [--roles requester,approver] [--groups a,b]",
		Short: "Change a user's roles or groups",
		Long:  usersUpdateHelp,
		Args:  namedArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			newRoles := changedList(cmd, "roles", roles)
			newGroups := changedList(cmd, "groups", groups)
			if newRoles == nil && newGroups == nil {
				return fmt.Errorf("give --roles, --groups or both")
			}
			c, err := adminClient(cmd)
			if err != nil {
				return err
			}
			u, err := c.UpdateUser(cmd.Context(), args[0], newRoles, newGroups)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "updated %s: roles %s, groups %s\n", u.Name,
				strings.Join(u.Roles, ","), orDash(strings.Join(u.Groups, ",")))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&roles, "roles", "", "comma-separated roles: requester, approver, admin")
	f.StringVar(&groups, "groups", "", `comma-separated groups; "" for none`)
	return cmd
}

// changedList returns the list a flag was given, empty but not nil when
// it was given empty, and nil when it was left out.
func changedList(cmd *cobra.Command, flag, value string) []string {
	if !cmd.Flags().Changed(flag) {
		return nil
	}
	return append([]string{}, splitList(value)...)
}

const reissueHelp = `Print a fresh one-time enrolment token for NAME. The user's identity
certificate, grants and pending requests end at once: give one when a key
may be lost or stolen, or when a certificate ran out.

With --config, the token is made on this machine, in the data directory that
config names, without the admin API: the way back in when no admin can act.
It needs the data directory's lock, so stop that directory's jitgate serve
first; the audit trail records the actor as "local".`

func newUsersTokenCommand() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "token NAME",
		Short: "Print a fresh one-time enrolment token; the user's certificate, grants and pending requests end",
		Long:  reissueHelp,
		Args:  namedArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var token string
			var err error
			if configPath != "" {
				token, err = localToken(cmd.Context(), configPath, args[0])
			} else {
				token, err = remoteToken(cmd, args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), token)
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "",
		"make the token in this config's data directory, with serve stopped")
	return cmd
}

// remoteToken asks the admin API for a token for name.
func remoteToken(cmd *cobra.Command, name string) (string, error) {
	c, err := adminClient(cmd)
	if err != nil {
		return "", err
	}
	return c.NewToken(cmd.Context(), name)
}

// localActor is who the audit trail names for a token made with --config.
const localActor = "local"

// localToken makes a token for name directly in the store of the config
// at path, holding its data directory's lock.
func localToken(ctx context.Context, path, name string) (string, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return "", err
	}
	auth, err := loadAuthority(cfg)
	if err != nil {
		return "", err
	}
	var token string
	err = withCore(auth, cfg, func(c *core) (err error) {
		token, err = c.service.NewToken(ctx, localActor, name)
		return err
	})
	return token, err
}

func newUsersDisableCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "disable NAME",
		Short: "Disable a user for good: identity refused, requests cancelled, grants revoked",
		Args:  namedArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := adminClient(cmd)
			if err != nil {
				return err
			}
			u, err := c.DisableUser(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "disabled %s\n", u.Name)
			return nil
		},
	}
}

func newUsersListCommand() *cobra.Command {
	return newListCommand("list", "List users",
		func(cmd *cobra.Command, c *admin.Client) ([]admin.UserView, error) {
			return c.Users(cmd.Context())
		}, printUsers)
}

func printUsers(cmd *cobra.Command, format string, users []admin.UserView) error {
	if format == formatJSON {
		return printJSON(cmd.OutOrStdout(), users)
	}
	rows := make([][]string, 0, len(users))
	for _, u := range users {
		rows = append(rows, []string{u.Name, strings.Join(u.Roles, ","),
			orDash(strings.Join(u.Groups, ",")), strconv.FormatBool(u.Disabled),
			stamp(u.EnrolledAt)})
	}
	header := []string{"NAME", "ROLES", "GROUPS", "DISABLED", "ENROLLED"}
	return printTable(cmd.OutOrStdout(), header, rows)
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// adminClient loads the profile and connects to its admin API.
func adminClient(cmd *cobra.Command) (*admin.Client, error) {
	p, err := loadProfile()
	if err != nil {
		return nil, err
	}
	return p.connect(cmd.Context())
}
