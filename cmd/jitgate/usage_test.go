package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runJitgate runs jitgate with args in this process, as the profile in
// home, and returns its error. An empty home is a fresh, empty one.
func runJitgate(t testing.TB, home string, args ...string) error {
	t.Helper()
	if home == "" {
		home = t.TempDir()
	}
	t.Setenv("JITGATE_HOME", home)
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	return root.ExecuteContext(context.Background())
}

// eachCommand calls fn for every command under root, root included.
func eachCommand(root *cobra.Command, fn func(*cobra.Command)) {
	fn(root)
	for _, sub := range root.Commands() {
		eachCommand(sub, fn)
	}
}

// argsFor returns the arguments that name cmd under the root command.
func argsFor(cmd *cobra.Command) []string {
	return strings.Fields(cmd.CommandPath())[1:]
}

func TestDurationFlagErrorsSayWhatWorks(t *testing.T) {
	const want = "want a duration such as 30m, 1h30m or 8h"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"words", []string{"request", "api", "--for", "2 hours", "--reason", "x"},
			`--for "2 hours": ` + want},
		{"days", []string{"request", "api", "--for", "2d", "--reason", "x"},
			`--for "2d": ` + want},
		{"equals sign", []string{"request", "api", "--for=2d", "--reason", "x"},
			`--for "2d": ` + want},
		{"empty", []string{"request", "api", "--for", "", "--reason", "x"},
			`--for "": ` + want},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.EqualError(t, runJitgate(t, "", tc.args...), tc.want)
		})
	}
}

// TestEveryDurationFlagSaysWhatWorks checks that no duration flag is left
// with pflag's own, whose error quotes time.ParseDuration.
func TestEveryDurationFlagSaysWhatWorks(t *testing.T) {
	found := 0
	eachCommand(newRootCommand(), func(cmd *cobra.Command) {
		cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() != "duration" {
				return
			}
			found++
			args := append(argsFor(cmd), "--"+f.Name, "1 week")
			want := fmt.Sprintf("--%s %q: %s", f.Name, "1 week", durationWant)
			assert.EqualError(t, runJitgate(t, "", args...), want, cmd.CommandPath())
		})
	})
	require.Positive(t, found, "no duration flag found")
}

func TestDurationValueParsesGoDurations(t *testing.T) {
	var d time.Duration
	f := pflag.NewFlagSet("test", pflag.ContinueOnError)
	durationVar(f, &d, "for", 30*time.Minute, "")
	assert.Equal(t, 30*time.Minute, d)
	assert.Equal(t, "30m", f.Lookup("for").DefValue)

	require.NoError(t, f.Parse([]string{"--for", "1h30m"}))
	assert.Equal(t, 90*time.Minute, d)
}

func TestPositionalArgumentErrorsNameTheArgument(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"request without resource", []string{"request", "--for", "15m", "--reason", "x"},
			"missing RESOURCE: jitgate request RESOURCE [--for DURATION] --reason TEXT " +
				"[--wait]"},
		{"cert without request", []string{"cert"},
			"missing REQUEST_ID: jitgate cert REQUEST_ID"},
		{"show without request", []string{"requests", "show"},
			"missing REQUEST_ID: jitgate requests show REQUEST_ID"},
		{"revoke without grant", []string{"revoke", "--reason", "x"},
			"missing GRANT_ID: jitgate revoke GRANT_ID --reason TEXT"},
		{"connect without resource", []string{"connect"},
			"missing RESOURCE: jitgate connect RESOURCE [--listen HOST:PORT]"},
		{"unquoted reason", []string{"request", "api", "--reason", "fix", "the", "index"},
			`extra arguments "the" "index": jitgate request RESOURCE [--for DURATION] ` +
				"--reason TEXT [--wait]"},
		{"two grants", []string{"release", "gr_a", "gr_b"},
			`extra argument "gr_b": jitgate release GRANT_ID`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.EqualError(t, runJitgate(t, "", tc.args...), tc.want)
		})
	}
}

// TestEveryPositionalArgumentIsNamedWhenMissing runs every command whose
// usage line names an argument without it.
func TestEveryPositionalArgumentIsNamedWhenMissing(t *testing.T) {
	found := 0
	eachCommand(newRootCommand(), func(cmd *cobra.Command) {
		names := positionalNames(cmd.Use)
		if len(names) == 0 {
			return
		}
		found++
		err := runJitgate(t, "", argsFor(cmd)...)
		want := "missing " + names[0] + ": " + usageLine(cmd)
		assert.EqualError(t, err, want, cmd.CommandPath())
	})
	require.Positive(t, found, "no command takes an argument")
}

// TestUsageLinesShowDefaultedFlagsAsOptional checks that a flag a usage
// line shows outside brackets, as if it had to be given, has no default.
func TestUsageLinesShowDefaultedFlagsAsOptional(t *testing.T) {
	eachCommand(newRootCommand(), func(cmd *cobra.Command) {
		for _, name := range unbracketedFlags(cmd.Use) {
			f := cmd.Flags().Lookup(name)
			require.NotNil(t, f, "%s: usage names --%s, which it lacks", cmd.CommandPath(), name)
			assert.Contains(t, []string{"", "false", "[]"}, f.DefValue,
				"%s: --%s defaults to %s; write it as [--%s ...]",
				cmd.CommandPath(), name, f.DefValue, name)
		}
	})
}

// unbracketedFlags returns the flags a usage line names outside brackets.
func unbracketedFlags(use string) []string {
	var flags []string
	depth := 0
	for _, word := range strings.Fields(use) {
		if depth == 0 && strings.HasPrefix(word, "--") {
			flags = append(flags, strings.TrimPrefix(word, "--"))
		}
		depth += strings.Count(word, "[") - strings.Count(word, "]")
	}
	return flags
}

func TestConnectHelpShowsTheListenDefault(t *testing.T) {
	root := newRootCommand()
	var out strings.Builder
	root.SetOut(&out)
	root.SetArgs([]string{"connect", "--help"})
	require.NoError(t, root.Execute())

	assert.Contains(t, out.String(), "jitgate connect RESOURCE [--listen HOST:PORT]")
	assert.Contains(t, out.String(), `(default "127.0.0.1:15432")`)
}
