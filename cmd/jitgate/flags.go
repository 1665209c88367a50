package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jitgate/jitgate/grants"
)

// durationWant says what a duration flag accepts, in the words the config
// file's errors use, so that both read alike.
const durationWant = "want a duration such as 30m, 1h30m or 8h"

// durationValue is a time.Duration flag whose parse error says what a
// duration looks like: time.ParseDuration's own ("unknown unit " hours"")
// leaves a new user guessing.
type durationValue time.Duration

// durationVar defines a duration flag on f, as pflag's DurationVar does.
func durationVar(f *pflag.FlagSet, p *time.Duration, name string, value time.Duration,
	usage string) {
	*p = value
	f.Var((*durationValue)(p), name, usage)
}

// Set parses s as a Go duration.
func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return errors.New(durationWant)
	}
	*d = durationValue(v)
	return nil
}

// String returns the duration as jitgate writes durations everywhere: 30m.
func (d *durationValue) String() string {
	return grants.FormatDuration(time.Duration(*d))
}

// Type names the value in --help.
func (d *durationValue) Type() string { return "duration" }

// flagError is the root command's flag error function. pflag words a bad
// value as `invalid argument "2d" for "--for" flag: why`; this writes it
// as `--for "2d": why`, flag and value first, as config errors name the
// key and the value. Other flag errors pass through.
func flagError(_ *cobra.Command, err error) error {
	var bad *pflag.InvalidValueError
	if !errors.As(err, &bad) {
		return err
	}
	return fmt.Errorf("--%s %q: %w", bad.GetFlag().Name, bad.GetValue(), errors.Unwrap(bad))
}
