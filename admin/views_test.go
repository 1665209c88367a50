package admin

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestViewsGolden(t *testing.T) {
	created := time.Date(2025, 3, 14, 9, 26, 53, 0, time.FixedZone("CET", 3600))
	decided := created.Add(4 * time.Minute)
	req := grants.Request{
		ID:        "req_01",
		User:      "alice",
		Resource:  "db",
		Duration:  90 * time.Minute,
		Reason:    "rebuild the orders index",
		CSR:       []byte("never shown"),
		State:     grants.RequestApproved,
		CreatedAt: created,
		DecidedAt: decided,
		Decisions: []grants.Decision{{Approver: "bob", Verdict: grants.VerdictApprove,
			Comment: "go ahead", At: decided}},
		GrantID: "grt_01",
	}
	grant := grants.Grant{
		ID:          "grt_01",
		RequestID:   "req_01",
		User:        "alice",
		Resource:    "db",
		NotBefore:   decided,
		NotAfter:    decided.Add(90 * time.Minute),
		State:       grants.GrantRevoked,
		EndedAt:     decided.Add(time.Hour),
		EndedBy:     "root",
		EndReason:   "incident",
		Certificate: []byte("never shown"),
	}
	pending := grants.Request{ID: "req_02", User: "carol", Resource: "db",
		Duration: 2 * time.Hour, Reason: "deploy", State: grants.RequestPending,
		CreatedAt: created}

	tests := []struct {
		file string
		view any
	}{
		{"request_view.json", requestView(req)},
		{"request_view_pending.json", requestView(pending)},
		{"grant_view.json", grantView(grant)},
		{"resource_info.json", ResourceInfo{Name: "db", Approvals: 2,
			MaxDuration: 4 * time.Hour, Address: "proxy.example:8443",
			ServerName: "db.proxy.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := json.MarshalIndent(tt.view, "", "  ")
			require.NoError(t, err)
			checkGolden(t, tt.file, append(got, '\n'))
		})
	}
}

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}

	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestViewsGolden -update to create it")
	assert.Equal(t, string(want), string(got))
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{30 * time.Minute, "30m"},
		{2 * time.Hour, "2h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + 5*time.Second, "1h0m5s"},
		{45 * time.Second, "45s"},
		{10 * time.Minute, "10m"},
		{0, "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, formatDuration(tt.d))
			back, err := time.ParseDuration(tt.want)
			require.NoError(t, err)
			assert.Equal(t, tt.d, back)
		})
	}
}

func TestResourceInfoJSON(t *testing.T) {
	tests := []struct {
		name string
		in   ResourceInfo
		want string
	}{
		{"not advertised", ResourceInfo{Name: "db", Approvals: 2,
			MaxDuration: 90 * time.Minute},
			`{"name": "db", "approvals": 2, "max_duration": "1h30m"}`},
		{"advertised", ResourceInfo{Name: "db", Approvals: 1, MaxDuration: time.Hour,
			Address: "localhost:5432", ServerName: "localhost"},
			`{"name": "db", "approvals": 1, "max_duration": "1h",
			  "address": "localhost:5432", "server_name": "localhost"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(b))

			var out ResourceInfo
			require.NoError(t, json.Unmarshal(b, &out))
			assert.Equal(t, tt.in, out)
		})
	}

	var out ResourceInfo

	err := json.Unmarshal([]byte(`{"name": "db", "max_duration": "long"}`), &out)
	assert.ErrorContains(t, err, "max_duration")
}
