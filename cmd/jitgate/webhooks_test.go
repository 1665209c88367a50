package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/jitgate/jitgate/config"
	"github.com/jitgate/jitgate/notify"
)

// writeSecret writes a webhook secret file and returns its path.
func writeSecret(t testing.TB, dir, content string) string {
	t.Helper()
	path := filepath.Join(dir, "webhook.key")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// TestGatewayPostsSignedWebhooks serves a gateway with a webhook and checks
// that a request made through the admin API reaches a receiver, signed, and
// is counted on /metrics.
func TestGatewayPostsSignedWebhooks(t *testing.T) {
	secret := "a-webhook-secret-for-the-test"
	got := make(chan notify.Payload, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := notify.Verify([]byte(secret), r.Header.Get(notify.SignatureHeader),
			r.Header.Get(notify.TimestampHeader), body, time.Now())
		if !assert.NoError(t, err) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p notify.Payload
		assert.NoError(t, json.Unmarshal(body, &p))
		got <- p
	}))
	t.Cleanup(rcv.Close)

	cfg := newTestConfig(t, startEcho(t))
	cfg.Webhooks = []config.Webhook{{Name: "ops", URL: rcv.URL,
		SecretFile: writeSecret(t, t.TempDir(), secret+"\n")}}
	tg := startGateway(t, t.TempDir(), cfg)
	alice := tg.enrol("alice", "requester")

	key, err := newKey()
	require.NoError(t, err)
	csr, err := newCSR(key)
	require.NoError(t, err)
	req, err := tg.clientWith(alice).CreateRequest(t.Context(), "echo", time.Hour,
		"webhook test", csr)
	require.NoError(t, err)

	var p notify.Payload
	select {
	case p = <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook delivery arrived")
	}
	assert.Equal(t, notify.RequestCreated, p.Event)
	require.NotNil(t, p.Request)
	assert.Equal(t, req.ID, p.Request.ID)
	require.NotNil(t, p.Approval)
	assert.Equal(t, "jitgate approve "+req.ID, p.Approval.Approve)
	// The receiver hands the payload over before it answers, so the
	// delivery is counted a moment later.
	assert.Eventually(t, func() bool {
		return strings.Contains(scrapeMetrics(t, tg),
			`jitgate_webhook_deliveries_total{result="delivered",webhook="ops"} 1`)
	}, 10*time.Second, 50*time.Millisecond)
}

func scrapeMetrics(t testing.TB, tg *testGateway) string {
	t.Helper()
	resp, err := http.Get("http://" + tg.gw.ops.Addr().String() + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// TestServeRefusesABadWebhookSecret checks that jitgate does not start with
// a webhook whose secret file is missing or too short.
func TestServeRefusesABadWebhookSecret(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, path string
	}{
		{"missing", filepath.Join(dir, "missing.key")},
		{"too short", writeSecret(t, dir, "tiny-secret\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := newTestConfig(t, "127.0.0.1:1")
			cfg.Webhooks = []config.Webhook{{Name: "ops", URL: "https://h.test/x",
				SecretFile: tc.path}}
			data := t.TempDir()
			_, err := initialise(context.Background(), data, cfg, "admin")
			require.NoError(t, err)
			cfg.DataDir = data

			err = serve(t.Context(), cfg, zaptest.NewLogger(t), func(*gateway) {
				t.Error("gateway started")
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "webhooks[ops].secret_file")
			assert.NotContains(t, err.Error(), "tiny-secret")
		})
	}
}

func TestConfigCheckReadsSecretsAsServeDoes(t *testing.T) {
	dir := t.TempDir()
	secret := writeSecret(t, dir, "0123456789abcdef0123\n")
	doc := "webhooks:\n  - name: ops\n    url: https://hooks.example.test/x\n" +
		"    secret_file: " + secret + "\n"
	path := filepath.Join(dir, "jitgate.yaml")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))

	cases := []struct {
		name, content string
		mode          os.FileMode
		want          string
	}{
		{"good", "0123456789abcdef0123\n", 0o600, ""},
		{"open to others", "0123456789abcdef0123\n", 0o644, "mode 0644"},
		{"too short", "short\n", 0o600, "5 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(secret, []byte(tc.content), tc.mode))
			require.NoError(t, os.Chmod(secret, tc.mode))
			cmd := newConfigCheckCommand()
			cmd.SetArgs([]string{path})
			cmd.SetOut(io.Discard)
			err := cmd.Execute()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestConfigCheckRefusesAStoreOthersCanWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "jitgate.yaml")
	require.NoError(t, os.WriteFile(path, []byte("data_dir: "+dir+"\n"), 0o600))
	db := filepath.Join(dir, storeFile)
	require.NoError(t, os.WriteFile(db, nil, 0o600))

	check := func() error {
		cmd := newConfigCheckCommand()
		cmd.SetArgs([]string{path})
		cmd.SetOut(io.Discard)
		return cmd.Execute()
	}
	require.NoError(t, check())

	require.NoError(t, os.Chmod(db, 0o664))
	err := check()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "store "+db+" has mode 0664")
}
