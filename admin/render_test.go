package admin

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int // zero when the body is accepted
		want   string
	}{
		{"object", `{"resource": "db", "duration": "5m"}`, 0, ""},
		{"empty body", ``, 0, ""},
		{"white space", " \n", 0, ""},
		{"unknown field", `{"resource": "db", "owner": "me"}`, 400, `unknown field "owner"`},
		{"wrong type", `{"reason": 5}`, 400, "invalid reason: expected string"},
		{"syntax", `{"resource": db}`, 400, "malformed JSON at byte"},
		{"truncated", `{"resource": "db"`, 400, "malformed JSON"},
		{"array", `["db"]`, 400, "must be a JSON object"},
		{"two values", `{}{}`, 400, "more than one JSON value"},
		{"trailing garbage", `{} x`, 400, "more than one JSON value"},
		{"repeated field", `{"reason": "a", "resource": "db", "reason": "b"}`, 400,
			`field "reason" appears more than once`},
		{"field in other case", `{"Reason": "fix"}`, 400, `unknown field "Reason"`},
		{"too large", `{"reason": "` + strings.Repeat("a", MaxBodyBytes) + `"}`, 413,
			"larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v createRequestBody
			err := decodeJSON(limited(tt.body), &v)
			if tt.status == 0 {
				require.NoError(t, err)
				return
			}
			var e *Error
			require.True(t, errors.As(err, &e), "want an *Error, got %v", err)
			assert.Equal(t, tt.status, e.Status)
			assert.Contains(t, e.Message, tt.want)
		})
	}
}

// TestCheckKeys walks bodies of any shape: keys repeat only across
// objects, never within one.
func TestCheckKeys(t *testing.T) {
	tests := []struct {
		body string
		want string // empty when accepted
	}{
		{`{"a": {"k": 1, "k": 2}}`, `field "k" appears more than once`},
		{`{"a": [{"k": 1}, {"k": 1, "j": {"k": 2}}], "b": "}"}`, ""},
		{`[{"k": 1}, {"k": 2, "k": 3}]`, `field "k" appears more than once`},
		{`{"a": [], "b": {}, "c": [[{}]], "a": null}`, `field "a" appears more than once`},
		{`{"A": 1, "a": 2}`, ""},
		{`"}"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			var v any
			err := checkKeys([]byte(tt.body), &v)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, http.StatusBadRequest, e.Status)
			assert.Contains(t, e.Message, tt.want)
		})
	}
}

// FuzzCheckKeys checks that checkKeys takes any valid JSON value without
// failing other than with a 400.
func FuzzCheckKeys(f *testing.F) {
	for _, seed := range []string{`{"a": [{"k": 1}, {"k": 2}]}`, `[[{}], {"a": {"a": 1}}]`,
		`{"a": 1, "a": 2}`, `"x"`, `[]`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			return
		}
		var v any
		if err := checkKeys(body, &v); err != nil {
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, http.StatusBadRequest, e.Status)
		}
	})
}

// FuzzDecodeJSON checks that any body either decodes into a request body
// that marshals back, or is refused with a 400 or 413 naming the problem.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"resource": "db", "duration": "30m", "reason": "r", "csr": "x"}`,
		`{"resource": 1}`, `{"x": 1}`, `[]`, `{}{}`, `{"reason": "\ud800"}`, ``, `nul`,
	} {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		var v createRequestBody
		err := decodeJSON(limited(string(body)), &v)
		if err == nil {
			_, merr := json.Marshal(v)
			require.NoError(t, merr)
			return
		}

		var e *Error
		require.True(t, errors.As(err, &e), "want an *Error, got %v", err)
		assert.Contains(t, []int{400, 413}, e.Status)
		assert.NotEmpty(t, e.Message)
	})
}

// limited wraps body the way decode does.
func limited(body string) io.Reader {
	return http.MaxBytesReader(nil, io.NopCloser(strings.NewReader(body)), MaxBodyBytes)
}

func TestWriteJSONHeaders(t *testing.T) {
	w := &recordingWriter{header: http.Header{}}
	require.NoError(t, writeJSON(w, http.StatusCreated, tokenBody{Token: "t"}))

	assert.Equal(t, http.StatusCreated, w.status)
	assert.Equal(t, "application/json", w.header.Get("Content-Type"))
	assert.Equal(t, "no-store", w.header.Get("Cache-Control"))
	assert.JSONEq(t, `{"token": "t"}`, string(w.body))

	assert.Error(t, writeJSON(w, http.StatusOK, func() {}))
}

// recordingWriter is an http.ResponseWriter that keeps what is written.
type recordingWriter struct {
	header http.Header
	status int
	body   []byte
}

func (w *recordingWriter) Header() http.Header { return w.header }

func (w *recordingWriter) WriteHeader(status int) { w.status = status }

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body = append(w.body, b...)
	return len(b), nil
}
