// Command jitgate is the Just-In-Time access gateway: one binary that runs the
// mutual-TLS proxy, its certificate authority and admin API (serve, dev,
// init), and the client verbs people use against it (login, request, approve,
// connect, ...).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "jitgate:", err)
		os.Exit(exitCode(err))
	}
}

// exitError carries a process exit code other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return 1
}

// version is set at build time with -ldflags "-X main.version=..." (make
// build does); a plain go build says "dev".
var version = "dev"

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "jitgate",
		Version:       version,
		Short:         "Just-In-Time access through a mutual-TLS proxy",
		Long:          rootHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print jitgate's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "jitgate version", version)
		},
	})
	root.AddCommand(
		newInitCommand(), newServeCommand(), newDevCommand(),
		newLoginCommand(), newUsersCommand(), newRequestCommand(), newCertCommand(),
		newRequestsCommand(), newApproveCommand(), newDenyCommand(), newCancelCommand(),
		newGrantsCommand(), newRevokeCommand(), newReleaseCommand(),
		newConnectCommand(), newAuditCommand(), newResourcesCommand(),
		newConfigCommand(),
	)
	return root
}

const rootHelp = `jitgate lets a person reach a protected service only while they hold an
approved, unexpired, unrevoked Just-In-Time grant. Access rides on a short-lived
client certificate minted for one grant; the proxy checks the grant inside every
TLS handshake and cuts live connections when the grant ends.

Client verbs read their profile from $JITGATE_HOME (default ~/.jitgate);
$JITGATE_SERVER, when set, names another admin API address (HOST:PORT) to use,
such as another replica of the same jitgate.`
