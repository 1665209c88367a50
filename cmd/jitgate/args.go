package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// namedArgs is the cobra.PositionalArgs of every verb that takes
// positional arguments. It wants exactly those its usage line names and,
// unlike cobra.ExactArgs ("accepts 1 arg(s), received 0"), says which one
// is missing or which are extra, followed by the usage line.
func namedArgs(cmd *cobra.Command, args []string) error {
	names := positionalNames(cmd.Use)
	switch {
	case len(args) < len(names):
		return fmt.Errorf("missing %s: %s", strings.Join(names[len(args):], " and "),
			usageLine(cmd))
	case len(args) > len(names):
		return fmt.Errorf("%s: %s", extraArgs(args[len(names):]), usageLine(cmd))
	}
	return nil
}

// positionalNames returns the arguments a usage line such as
// "request RESOURCE [--for DURATION] --reason TEXT" names before its first
// flag: here RESOURCE.
func positionalNames(use string) []string {
	_, rest, _ := strings.Cut(use, " ")
	var names []string
	for _, word := range strings.Fields(rest) {
		if strings.HasPrefix(word, "-") || strings.HasPrefix(word, "[") {
			break
		}
		names = append(names, word)
	}
	return names
}

// extraArgs names arguments nobody asked for, quoted: a value with spaces
// that lost its quotes shows up here word by word.
func extraArgs(extra []string) string {
	quoted := make([]string, len(extra))
	for i, a := range extra {
		quoted[i] = strconv.Quote(a)
	}
	if len(extra) == 1 {
		return "extra argument " + quoted[0]
	}
	return "extra arguments " + strings.Join(quoted, " ")
}

// usageLine is the command's full path and usage, without the " [flags]"
// that cobra's UseLine adds.
func usageLine(cmd *cobra.Command) string {
	return cmd.CommandPath() + strings.TrimPrefix(cmd.Use, cmd.Name())
}
