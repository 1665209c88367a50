package admin

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Keys of the access log line.
const (
	keyMethod   = "method"
	keyPath     = "path"
	keyStatus   = "status"
	keyUser     = "user"
	keyRemote   = "remote"
	keyDuration = "duration"
	keyError    = "error"
)

// logEntry collects what a request's handlers learn for its log line.
type logEntry struct {
	user  string
	cause error
}

// entryKey is the context key of a request's *logEntry.
type entryKey struct{}

// entryOf returns the request's *logEntry; a request that did not come
// through ServeHTTP gets a throwaway one.
func entryOf(ctx context.Context) *logEntry {
	if e, ok := ctx.Value(entryKey{}).(*logEntry); ok {
		return e
	}
	return &logEntry{}
}

// logRequest writes the one access log line of a request: Info for
// everything the server answered as intended, 4xx included, and Error for
// 5xx, which an operator must look at.
func (s *server) logRequest(r *http.Request, status int, e *logEntry, d time.Duration) {
	level := zapcore.InfoLevel
	if status >= http.StatusInternalServerError {
		level = zapcore.ErrorLevel
	}

	fields := []zap.Field{
		zap.String(keyMethod, r.Method),
		zap.String(keyPath, r.URL.Path),
		zap.Int(keyStatus, status),
		zap.String(keyUser, e.user),
		zap.String(keyRemote, r.RemoteAddr),
		zap.Duration(keyDuration, d),
	}
	if e.cause != nil {
		fields = append(fields, zap.NamedError(keyError, e.cause))
	}
	s.log.Log(level, "request", fields...)
}

// statusWriter remembers the status written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records status and passes it on.
func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

// Write records an implicit 200 and passes b on.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// probeWriter records what the mux would answer to an unrouted request,
// so that the answer can be rendered as JSON instead.
type probeWriter struct {
	header http.Header
	status int
}

// Header returns the recorded header.
func (p *probeWriter) Header() http.Header { return p.header }

// WriteHeader records status.
func (p *probeWriter) WriteHeader(status int) { p.status = status }

// Write discards the mux's plain-text body.
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
