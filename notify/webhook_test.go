package notify

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

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
