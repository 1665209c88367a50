package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/jitgate/jitgate/grants"
)

func TestNewHandlerNeedsServiceAndAuthority(t *testing.T) {
	_, err := NewHandler(Config{})
	assert.ErrorContains(t, err, "Service")
	_, err = NewHandler(Config{Service: &grants.Service{}})
	assert.ErrorContains(t, err, "Authority")
}

func TestUnroutedRequests(t *testing.T) {
	e := newEnv(t)
	alice := e.enrol(t, "alice", grants.RoleRequester)
	tests := []struct {
		name   string
		method string
		path   string
		status int
		want   string
	}{
		{"wrong method", http.MethodGet, "/v1/enroll", http.StatusMethodNotAllowed,
			"GET is not allowed on /v1/enroll"},
		{"wrong method on an object", http.MethodDelete, "/v1/grants/g1",
			http.StatusMethodNotAllowed, "DELETE is not allowed"},
		{"unknown path", http.MethodGet, "/v2/ca", http.StatusNotFound,
			"no endpoint /v2/ca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := alice.do(context.Background(), tt.method, tt.path, nil, &struct{}{})
			requireAPIError(t, err, tt.status, tt.want)
		})
	}
}

func TestAccessLog(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.enrol(t, "alice", grants.RoleRequester)
	e.logs.TakeAll()

	_, err := alice.Whoami(ctx)
	require.NoError(t, err)
	_, err = alice.Users(ctx)
	require.Error(t, err)

	lines := e.logs.TakeAll()
	require.Len(t, lines, 2, "one line per request")
	ok, refused := lines[0].ContextMap(), lines[1].ContextMap()
	assert.Equal(t, zapcore.InfoLevel, lines[0].Level)
	assert.Equal(t, "admin", lines[0].LoggerName)
	assert.Equal(t, "GET", ok[keyMethod])
	assert.Equal(t, "/v1/whoami", ok[keyPath])
	assert.EqualValues(t, http.StatusOK, ok[keyStatus])
	assert.Equal(t, "alice", ok[keyUser])
	assert.Contains(t, ok, keyDuration)
	assert.Contains(t, ok[keyRemote], "127.0.0.1:")
	assert.NotContains(t, ok, keyError)
	assert.EqualValues(t, http.StatusForbidden, refused[keyStatus])
	assert.Contains(t, refused, keyError)
}

func TestErrorFrom(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		msg    string
	}{
		{"not found", fmt.Errorf("request req_1: %w", grants.ErrNotFound),
			http.StatusNotFound, "request req_1"},
		{"conflict", fmt.Errorf("request req_1 is approved: %w", grants.ErrConflict),
			http.StatusConflict, "request req_1 is approved"},
		{"forbidden", fmt.Errorf("cannot approve own request: %w", grants.ErrForbidden),
			http.StatusForbidden, "cannot approve own request"},
		{"input", fmt.Errorf("create: %w", &grants.InputError{Field: "reason",
			Problem: "must not be empty"}), http.StatusBadRequest,
			"invalid reason: must not be empty"},
		{"already an Error", newError(http.StatusTeapot, nil, "short and stout"),
			http.StatusTeapot, "short and stout"},
		{"internal", errors.New("disk on fire at /var/lib/jitgate"),
			http.StatusInternalServerError, internalMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := errorFrom(tt.err)
			assert.Equal(t, tt.status, e.Status)
			assert.Equal(t, tt.msg, e.Message)
			assert.ErrorIs(t, e, tt.err)
		})
	}
}

func TestInternalErrorsStayInTheLog(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	s := &server{log: zap.New(core)}
	w := &recordingWriter{header: http.Header{}}
	r, err := http.NewRequest(http.MethodGet, "/v1/whoami", nil)
	require.NoError(t, err)
	entry := &logEntry{}
	r = r.WithContext(context.WithValue(r.Context(), entryKey{}, entry))

	s.fail(w, r, errors.New("store: database is locked"))
	s.logRequest(r, w.status, entry, 0)

	assert.Equal(t, http.StatusInternalServerError, w.status)
	assert.JSONEq(t, `{"error": "internal error"}`, string(w.body))
	line := logs.TakeAll()
	require.Len(t, line, 1)
	assert.Equal(t, zapcore.ErrorLevel, line[0].Level)
	assert.Equal(t, "store: database is locked", line[0].ContextMap()[keyError])
}
