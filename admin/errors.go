package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jitgate/jitgate/grants"
)

// ErrFingerprintMismatch is returned by FetchCA when the root the server
// offers does not have the expected fingerprint.
var ErrFingerprintMismatch = errors.New("root fingerprint mismatch")

// internalMessage is the whole public message of every 5xx answer; the cause
// goes to the request's log line only.
const internalMessage = "internal error"

// Error is the server's answer to a request that did not succeed: an HTTP
// status and a public message, rendered as {"error": "message"}. Its cause is
// logged with the request and never sent.
type Error struct {
	Status  int
	Message string
	cause   error
}

// newError returns an *Error with a formatted public message.
func newError(status int, cause error, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...), cause: cause}
}

// Error returns the status and the public message.
func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, statusText(e.Status), e.Message)
}

// Unwrap returns the internal cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// errorFrom maps any error a handler meets onto an *Error. Errors of the
// grants package keep their message, which describes the caller's own
// input or the state of the object; anything else is internal.
func errorFrom(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}

	var input *grants.InputError
	if errors.As(err, &input) {
		return &Error{Status: http.StatusBadRequest, Message: input.Error(), cause: err}
	}

	for _, m := range statusOf {
		if errors.Is(err, m.sentinel) {
			msg := strings.TrimSuffix(err.Error(), ": "+m.sentinel.Error())
			return &Error{Status: m.status, Message: msg, cause: err}
		}
	}
	return &Error{
		Status:  http.StatusInternalServerError,
		Message: internalMessage,
		cause:   err,
	}
}

// statusOf lists the grants sentinels that are the caller's doing.
var statusOf = []struct {
	sentinel error
	status   int
}{
	{grants.ErrNotFound, http.StatusNotFound},
	{grants.ErrConflict, http.StatusConflict},
	{grants.ErrForbidden, http.StatusForbidden},
}

// APIError is a non-2xx answer of the admin API, as the Client returns it.
type APIError struct {
	Status  int
	Message string
}

// Error reads like "409 conflict: request req_x is approved, not pending".
func (e *APIError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, statusText(e.Status), e.Message)
}

// statusText returns the lower-case reason phrase of an HTTP status.
func statusText(status int) string {
	text := http.StatusText(status)
	if text == "" {
		return "status"
	}
	return strings.ToLower(text)
}
