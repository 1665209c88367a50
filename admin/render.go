package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// MaxBodyBytes is the largest request body the server reads; a larger one
// is refused with 413.
const MaxBodyBytes = 64 << 10

// decode reads r's JSON body into v, refusing bodies over MaxBodyBytes,
// unknown fields and trailing data. An empty body leaves v as it is, so
// endpoints whose fields are all optional accept no body at all.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeJSON(http.MaxBytesReader(w, r.Body, MaxBodyBytes), v)
}

// decodeJSON reads one JSON value from body into v; errors are *Error.
// Keys must be spelled as v's fields are, each once (see checkKeys).
func decodeJSON(body io.Reader, v any) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return bodyError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()

	err = dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return bodyError(err)
	}

	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil || isSyntaxError(err) {
			return newError(http.StatusBadRequest, err,
				"request body holds more than one JSON value")
		}
		return bodyError(err)
	}
	return checkKeys(data, v)
}

// bodyError says what was wrong with a request body.
func bodyError(err error) *Error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	bad := http.StatusBadRequest

	switch {
	case errors.As(err, &tooLarge):
		return newError(http.StatusRequestEntityTooLarge, err,
			"request body is larger than %d bytes", tooLarge.Limit)
	case errors.As(err, &syntax):
		return newError(bad, err, "malformed JSON at byte %d: %s", syntax.Offset, syntax)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newError(bad, err, "malformed JSON: the body ends too soon")
	case errors.As(err, &typ):
		return typeError(typ)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for an unknown field.
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return newError(bad, err, "unknown field %s", field)
	}
	return newError(bad, err, "unreadable request body")
}

// typeError names the field whose JSON value had the wrong type.
func typeError(e *json.UnmarshalTypeError) *Error {
	if e.Field == "" {
		return newError(http.StatusBadRequest, e,
			"request body must be a JSON object, not %s", e.Value)
	}
	return newError(http.StatusBadRequest, e,
		"invalid %s: expected %s, not JSON %s", e.Field, e.Type, e.Value)
}

// isSyntaxError reports whether err is a JSON syntax error.
func isSyntaxError(err error) bool {
	var syntax *json.SyntaxError
	return errors.As(err, &syntax)
}

// writeJSON renders v with status. The body is marshalled first, so that a
// marshalling failure can still become a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	// Answers carry tokens and certificates; nothing may keep them.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)

	// A failed write means the client went away; the status is logged
	// and there is no one left to tell.
	_, _ = w.Write(append(body, '\n'))
	return nil
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error string `json:"error"`
}
