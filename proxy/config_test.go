package proxy

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewValidatesConfig(t *testing.T) {
	valid := func() Config {
		return Config{
			Resources: []Resource{
				{Name: "db", Upstream: "db.internal:5432", Listen: ":15432"},
				{Name: "api", Upstream: "10.0.0.7:443", Hostname: "api.example.com"},
			},
			SharedAddr:     ":8443",
			Verifier:       &testVerifier{},
			Checker:        newFakeChecker(),
			GetCertificate: fixedCert(nil),
		}
	}

	tests := []struct {
		name   string
		change func(*Config)
		want   string // in the error; "" means valid
	}{
		{"valid", func(*Config) {}, ""},
		{"no verifier", func(c *Config) { c.Verifier = nil }, "Verifier is required"},
		{"no checker", func(c *Config) { c.Checker = nil }, "Checker is required"},
		{"no serving certificate", func(c *Config) { c.GetCertificate = nil },
			"GetCertificate is required"},
		{"no resources", func(c *Config) { c.Resources = nil }, "no resources"},
		{"negative cache size", func(c *Config) { c.VerifyCacheSize = -1 },
			"VerifyCacheSize -1"},
		{"empty name", func(c *Config) { c.Resources[0].Name = "" }, "name is empty"},
		{"duplicate name", func(c *Config) { c.Resources[1].Name = "db" },
			`name "db" is used twice`},
		{"upstream without port", func(c *Config) { c.Resources[0].Upstream = "db" },
			`resources[0] "db": upstream "db": want host:port`},
		{"upstream without host", func(c *Config) { c.Resources[0].Upstream = ":5432" },
			"want a host and a port other than 0"},
		{"upstream with port 0", func(c *Config) { c.Resources[0].Upstream = "db:0" },
			"want a host and a port other than 0"},
		{"upstream with named port", func(c *Config) {
			c.Resources[0].Upstream = "db:pg"
		}, `port "pg": want a number`},
		{"neither listen nor hostname", func(c *Config) { c.Resources[0].Listen = "" },
			`resources[0] "db": needs listen or hostname`},
		{"bad listen", func(c *Config) { c.Resources[0].Listen = "15432" },
			`listen "15432": want host:port`},
		{"hostname without shared listener", func(c *Config) { c.SharedAddr = "" },
			`hostname "api.example.com" needs a shared listen address`},
		{"hostname with port", func(c *Config) { c.Resources[1].Hostname = "api:443" },
			"want a DNS name"},
		{"duplicate hostname in another case", func(c *Config) {
			c.Resources[0].Hostname = "API.example.com"
		}, `hostname "api.example.com" is also "db"'s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			srv, err := New(c)
			if tt.want == "" {
				require.NoError(t, err)
				assert.NotNil(t, srv)
				return
			}
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestListenerAddresses(t *testing.T) {
	h := newHarness(t, echo, nil)

	require.NotNil(t, h.srv.Addr("db"))
	require.NotNil(t, h.srv.SharedAddr())
	assert.Nil(t, h.srv.Addr("api"), "api has no dedicated listener")
	assert.Nil(t, h.srv.Addr("nope"))
	assert.NotEqual(t, h.srv.Addr("db").String(), h.srv.SharedAddr().String())
	assert.ErrorIs(t, h.srv.Listen(), ErrAlreadyListening)
}

func TestNoSharedListenerWithoutHostnames(t *testing.T) {
	c := Config{
		Resources: []Resource{
			{Name: "db", Upstream: "db:5432", Listen: "127.0.0.1:0"},
		},
		SharedAddr:     "127.0.0.1:0",
		Verifier:       &testVerifier{},
		Checker:        newFakeChecker(),
		GetCertificate: fixedCert(nil),
	}
	srv, _ := startServer(t, c)

	assert.NotNil(t, srv.Addr("db"))
	assert.Nil(t, srv.SharedAddr())
}

func TestListenFailureClosesWhatItOpened(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h := &harness{pki: newPKI(t), checker: newFakeChecker(), ups: map[string]*upstream{
		"db": {addr: "db:1"}, "api": {addr: "api:1"}, "web": {addr: "web:1"},
	}}
	c := h.config(t)
	c.SharedAddr = busy.Addr().String()
	srv, err := New(c)
	require.NoError(t, err)

	err = srv.Listen()
	require.Error(t, err)
	assert.ErrorContains(t, err, "shared listener "+busy.Addr().String())
	assert.Nil(t, srv.Addr("db"), "the dedicated listener stayed open")

	require.NoError(t, busy.Close())
	require.NoError(t, srv.Listen())
	require.NoError(t, srv.Serve(canceled()))
}

// canceled returns a context that has ended.
func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
