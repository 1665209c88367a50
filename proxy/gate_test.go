package proxy

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGateBoundsInAllAndPerHost(t *testing.T) {
	a, b, c := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"),
		netip.MustParseAddr("10.0.0.3")
	g := newGate(3, 2)

	assert.True(t, g.enter(a))
	assert.True(t, g.enter(a))
	assert.False(t, g.enter(a), "a third from one host")
	assert.True(t, g.enter(b))
	assert.False(t, g.enter(c), "a fourth in all")

	g.leave(a)
	assert.True(t, g.enter(c))
	assert.False(t, g.enter(b), "full again")
	g.leave(a)
	g.leave(b)
	g.leave(c)
	assert.Empty(t, g.byHost, "hosts without a handshake are forgotten")
	assert.Zero(t, g.inAll)
}
