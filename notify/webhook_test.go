package notify

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckWebhooks(t *testing.T) {
	secret := []byte("sixteen-bytes-ok")
	good := Webhook{Name: "ops", URL: "https://hooks.example.test/jit", Secret: secret}
	with := func(change func(*Webhook)) []Webhook {
		w := good
		change(&w)
		return []Webhook{w}
	}

	tests := []struct {
		name  string
		hooks []Webhook
		want  string
	}{
		{"json with a secret", []Webhook{good}, ""},
		{"slack without a secret", with(func(w *Webhook) {
			w.Format, w.Secret = FormatSlack, nil
		}), ""},
		{"no name", with(func(w *Webhook) { w.Name = "" }), "name is empty"},
		{"ftp", with(func(w *Webhook) { w.URL = "ftp://h/x" }), `scheme "ftp"`},
		{"relative", with(func(w *Webhook) { w.URL = "/hook" }), `scheme ""`},
		{"no host", with(func(w *Webhook) { w.URL = "https:///x" }), "no host"},
		{"credentials", with(func(w *Webhook) { w.URL = "https://u:p@h/x" }),
			"carries credentials"},
		{"json without a secret", with(func(w *Webhook) { w.Secret = nil }),
			"secret of 0 bytes"},
		{"short secret", with(func(w *Webhook) { w.Secret = []byte("short") }),
			"secret of 5 bytes"},
		{"unknown format", with(func(w *Webhook) { w.Format = "xml" }), `format "xml"`},
		{"unknown event", with(func(w *Webhook) {
			w.Events = []string{"request.create"}
		}), `unknown event "request.create"`},
		{"twice", []Webhook{good, good}, "webhook ops: defined twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkWebhooks(tc.hooks)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "u:p@")
		})
	}
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	writeMode := func(name, content string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), mode))
		require.NoError(t, os.Chmod(path, mode))
		return path
	}
	write := func(name, content string) string {
		return writeMode(name, content, 0o600)
	}

	got, err := ReadSecret(write("good", "  a-secret-of-enough-bytes\n"))
	require.NoError(t, err)
	assert.Equal(t, []byte("a-secret-of-enough-bytes"), got)

	tests := []struct {
		name string
		path string
		want error
	}{
		{"missing", filepath.Join(dir, "missing"), os.ErrNotExist},
		{"empty", write("empty", ""), ErrWeakSecret},
		{"blank", write("blank", " \n\t\n"), ErrWeakSecret},
		{"short", write("short", "tiny-secret\n"), ErrWeakSecret},
		{"readable by others", writeMode("world", "tiny-secret-but-long-enough",
			0o644), ErrSecretPermissions},
		{"readable by the group", writeMode("group", "tiny-secret-but-long-enough",
			0o640), ErrSecretPermissions},
		{"writable by others", writeMode("writable", "tiny-secret-but-long-enough",
			0o602), ErrSecretPermissions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSecret(tc.path)
			require.ErrorIs(t, err, tc.want)
			assert.NotContains(t, err.Error(), "tiny-secret")
		})
	}

	_, err = ReadSecret(filepath.Join(dir, "world"))
	assert.ErrorContains(t, err, "world has mode 0644", "names the file and its mode")
}

func TestClassify(t *testing.T) {
	tests := []struct {
		status int
		want   string
	}{
		{200, resultDelivered},
		{204, resultDelivered},
		{302, resultFailed},
		{400, resultRejected},
		{401, resultRejected},
		{404, resultRejected},
		{408, resultFailed},
		{429, resultFailed},
		{500, resultFailed},
		{503, resultFailed},
	}
	for _, tc := range tests {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			assert.Equal(t, tc.want, classify(tc.status))
		})
	}
}

// TestAttemptErrorHidesTheURL posts to a closed loopback port through a URL
// whose path is a credential, as a Slack webhook's is.
func TestAttemptErrorHidesTheURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	e := newEnv(Options{})
	w := &worker{env: e, hook: Webhook{Name: "slack",
		URL: "http://" + addr + "/services/T0/B0/credential-in-path"}}
	err = w.attempt(t.Context(), Payload{ID: "evt_1"}, []byte("{}"))

	require.Error(t, err)
	assert.NotContains(t, err.Error(), "credential-in-path")
	assert.Contains(t, err.Error(), "post: ")
}

// TestAttemptKeepsTheWaitAReceiverAsksFor answers over a loopback socket
// with Retry-After headers; the wait is kept between the first backoff
// (1s by default) and the longest (1m).
func TestAttemptKeepsTheWaitAReceiverAsksFor(t *testing.T) {
	inHalfAMinute := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name   string
		status int
		header string
		want   time.Duration // zero: no wait asked for
	}{
		{"seconds", 429, "7", 7 * time.Second},
		{"unavailable", 503, "5", 5 * time.Second},
		{"date", 503, inHalfAMinute, 30 * time.Second},
		{"no hurry", 429, "0", time.Second},
		{"no stall", 429, "86400", time.Minute},
		{"date passed", 429, "Mon, 02 Jan 2006 15:04:05 GMT", time.Second},
		{"unreadable", 429, "soon", 0},
		{"negative", 429, "-5", 0},
		{"not on other failures", 500, "7", 0},
		{"none", 429, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(
				func(w http.ResponseWriter, _ *http.Request) {
					if tc.header != "" {
						w.Header().Set("Retry-After", tc.header)
					}
					w.WriteHeader(tc.status)
				}))
			defer srv.Close()

			w := &worker{env: newEnv(Options{}), hook: Webhook{Name: "ops", URL: srv.URL}}
			err := w.attempt(t.Context(), Payload{ID: "evt_1"}, []byte("{}"))
			require.Error(t, err)
			var later *backoff.RetryAfterError
			if tc.want == 0 {
				assert.False(t, errors.As(err, &later), "asked to wait %v", later)
				return
			}
			require.ErrorAs(t, err, &later)
			assert.InDelta(t, tc.want.Seconds(), later.Duration.Seconds(), 2)
			assert.Contains(t, err.Error(), "asking to retry after")
		})
	}
}
