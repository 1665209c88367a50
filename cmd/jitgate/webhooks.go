package main

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/jitgate/jitgate/config"
	"github.com/jitgate/jitgate/notify"
)

// newNotifier reads the webhooks' secrets and prepares their delivery; it
// refuses to start when a secret file is unreadable or too short.
func newNotifier(ctx context.Context, cfg *config.Config, c *core, log *zap.Logger,
	reg prometheus.Registerer) (*notify.Notifier, error) {
	hooks, err := notifyWebhooks(cfg.Webhooks)
	if err != nil {
		return nil, err
	}

	return notify.New(ctx, notify.Options{
		Store:    c.store,
		Reader:   c.service,
		Webhooks: hooks,
		Logger:   log.Named("notify"),
		Recorder: notify.NewPrometheusRecorder(reg),
		Holder:   c.holder,
	})
}

func notifyWebhooks(ws []config.Webhook) ([]notify.Webhook, error) {
	out := make([]notify.Webhook, 0, len(ws))
	for _, w := range ws {
		h := notify.Webhook{
			Name: w.Name, URL: w.URL, Format: notify.Format(w.Format),
			Events: w.Events, Resources: w.Resources,
		}
		if w.SecretFile != "" {
			secret, err := notify.ReadSecret(w.SecretFile)
			if err != nil {
				return nil, fmt.Errorf("webhooks[%s].secret_file: %w", w.Name, err)
			}
			h.Secret = secret
		}
		out = append(out, h)
	}
	return out, nil
}
