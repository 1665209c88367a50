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
