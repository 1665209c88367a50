package notify_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/jitgate/jitgate/config"
	"github.com/jitgate/jitgate/notify"
)

// TestConfigKnowsEveryEvent keeps the names the config file accepts in step
// with the events this package sends.
func TestConfigKnowsEveryEvent(t *testing.T) {
	assert.Equal(t, notify.EventNames(), config.WebhookEvents)
}
