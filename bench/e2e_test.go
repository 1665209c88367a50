package bench

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// servers is a fixture with, on loopback, the echo upstream, a gateway in
// front of it and the bare server.
type servers struct {
	fixture        *Fixture
	gateway, bare  string
	control        string
	client, revoke *tls.Config
}

// startServers makes a fixture and serves it until the test ends.
func startServers(t testing.TB) *servers {
	t.Helper()

	ctx, cancel := context.WithCancel(context.Background())
	f, err := Setup(ctx, t.TempDir())
	require.NoError(t, err)
	s := &servers{fixture: f}

	done := make(chan error, 3)
	t.Cleanup(func() {
		cancel()
		for range 3 {
			assert.NoError(t, <-done)
		}
	})

	upstream := listen(t)
	go func() { done <- ServeEcho(ctx, upstream, nil) }()
	bareConfig, err := BareConfig(f.Dir, nil)
	require.NoError(t, err)
	bare := listen(t)
	s.bare = bare.Addr().String()
	go func() { done <- ServeEcho(ctx, bare, bareConfig) }()

	s.gateway, s.control = freeAddr(t), freeAddr(t)
	go func() {
		done <- RunGateway(ctx, GatewayConfig{Dir: f.Dir, Listen: s.gateway,
			Upstream: upstream.Addr().String(), Control: s.control})
	}()

	s.client, err = ClientConfig(f.Dir, f.Load, nil)
	require.NoError(t, err)
	s.revoke, err = ClientConfig(f.Dir, f.Revoke, []tls.CurveID{tls.X25519})
	require.NoError(t, err)
	require.NoError(t, waitTLS(ctx, s.gateway, s.client, func() bool { return false }))
	return s
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

func freeAddr(t testing.TB) string {
	t.Helper()
	addr, err := freePort()
	require.NoError(t, err)
	return addr
}

func TestLoadsAgainstGatewayAndBare(t *testing.T) {
	if testing.Short() {
		t.Skip("runs short loads over loopback")
	}
	s := startServers(t)

	for _, addr := range []string{s.gateway, s.bare} {
		for _, mode := range []Mode{ModeFull, ModeResumed, ModeRTT, ModeThroughput} {
			t.Run(string(mode), func(t *testing.T) {
				res, err := Run(context.Background(), Load{Addr: addr, Client: s.client,
					Mode: mode, Conns: 2, Warmup: 50 * time.Millisecond,
					Duration: 200 * time.Millisecond})
				require.NoError(t, err)
				assert.Zero(t, res.Errors, res.FirstError)
				if mode == ModeThroughput {
					assert.Positive(t, res.Bytes)
					return
				}
				assert.Positive(t, res.Ops)
				assert.Positive(t, res.Latency.P50)
				if mode == ModeResumed {
					assert.Positive(t, res.Resumed, "no handshake resumed")
				}
			})
		}
	}
}

func TestRevocationCutsHeldConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("holds connections over loopback")
	}
	s := startServers(t)

	h, err := Hold(context.Background(), s.gateway, s.revoke, 20, 4)
	require.NoError(t, err)
	assert.Equal(t, 20, h.Len())
	cut, err := h.Revocation(RevokeVia(s.control, s.fixture.Revoke.GrantID), 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, Cut{Conns: 20, Latency: cut.Latency}, cut)
	assert.Positive(t, cut.Latency.Max)

	_, err = Hold(context.Background(), s.gateway, s.revoke, 1, 1)
	assert.Error(t, err, "a revoked grant connected again")
	res, err := Run(context.Background(), Load{Addr: s.gateway, Client: s.client,
		Mode: ModeFull, Conns: 1, Duration: 100 * time.Millisecond})
	require.NoError(t, err)
	assert.Zero(t, res.Errors, "the other grant was cut too: %s", res.FirstError)
}

func TestLoadRefusals(t *testing.T) {
	client := &tls.Config{}
	tests := []struct {
		name string
		load Load
		want string
	}{
		{"off loopback", Load{Addr: "192.0.2.1:443", Client: client, Conns: 1,
			Duration: time.Second}, "want a loopback"},
		{"no client", Load{Addr: "127.0.0.1:1", Conns: 1, Duration: time.Second},
			"no client tls config"},
		{"no conns", Load{Addr: "127.0.0.1:1", Client: client, Duration: time.Second},
			"want 1 to"},
		{"too long", Load{Addr: "127.0.0.1:1", Client: client, Conns: 1,
			Duration: time.Hour}, "want a total up to"},
		{"bad mode", Load{Addr: "127.0.0.1:1", Client: client, Conns: 1,
			Duration: time.Second, Mode: "slow"}, `mode "slow"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), tt.load)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestOpenFixtureReadsGrantIDs(t *testing.T) {
	if testing.Short() {
		t.Skip("makes a CA and a store")
	}
	made, err := Setup(context.Background(), t.TempDir())
	require.NoError(t, err)

	opened, err := OpenFixture(made.Dir)
	require.NoError(t, err)
	assert.Equal(t, made, opened)
	assert.NotEqual(t, made.Load.GrantID, made.Revoke.GrantID)
}
