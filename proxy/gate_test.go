package proxy

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGateBoundsInAllAndPerHost(t *testing.T) {
	a, b, c := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"),
		netip.MustParseAddr("10.0.0.3")
	g := NewHostGate(3, 2)

	assert.True(t, g.Enter(a))
	assert.True(t, g.Enter(a))
	assert.False(t, g.Enter(a), "a third from one host")
	assert.True(t, g.Enter(b))
	assert.False(t, g.Enter(c), "a fourth in all")

	g.Leave(a)
	assert.True(t, g.Enter(c))
	assert.False(t, g.Enter(b), "full again")
	g.Leave(a)
	g.Leave(b)
	g.Leave(c)
	assert.Empty(t, g.byHost, "hosts without a handshake are forgotten")
	assert.Zero(t, g.inAll)
}
