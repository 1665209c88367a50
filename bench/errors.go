package bench

import "errors"

// Errors of the harness and its stores.
var (
	// errNoJitgate is returned when a step needs jitgate and it did not
	// start.
	errNoJitgate = errors.New("jitgate is not running")
	// errReadOnly is returned when something writes to a memStore.
	errReadOnly = errors.New("the benchmark store is read-only")
)
