package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"reflect"
	"syscall"

	"go.uber.org/zap"

	"github.com/jitgate/jitgate/config"
)

// watchReloads reloads the policies from cfg.Path on every SIGHUP until ctx
// ends. A Config built in code has no file and is never reloaded.
func (g *gateway) watchReloads(ctx context.Context) {
	if g.cfg.Path == "" {
		return
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			g.reloadLogged()
		}
	}
}

// reloadLogged reloads and logs the outcome: a refused reload is an error
// for the operator, and the running policies stay.
func (g *gateway) reloadLogged() {
	path := g.cfg.Path
	next, err := g.reload()
	if err != nil {
		g.log.Error("config reload refused; the running policies stay",
			zap.String(keyConfig, path), zap.Error(err))
		return
	}

	g.log.Info("config reloaded", zap.String(keyConfig, path),
		zap.Int("resources", len(next.Resources)))
	if restartNeeded(g.cfg, next) {
		g.log.Warn("config reload applied the resources' policies only; "+
			"other changes take effect at the next restart", zap.String(keyConfig, path))
	}
}

// reload reads the config file again and hands its policies to the grants
// service, all at once. It refuses a file that does not load, whose
// policies do not check, whose secret files serve would refuse (as config
// check does: a file that would not start is not applied), or whose
// resources differ from the running ones in anything but their policy:
// listeners and upstreams change only at a restart.
func (g *gateway) reload() (*config.Config, error) {
	next, err := config.Load(g.cfg.Path)
	if err != nil {
		return nil, err
	}
	if err := checkFiles(next); err != nil {
		return nil, err
	}
	if err := sameRoutes(g.cfg.Resources, next.Resources); err != nil {
		return nil, err
	}
	if err := g.core.service.SetResources(serviceResources(next)); err != nil {
		return nil, err
	}
	return next, nil
}

// sameRoutes returns an error naming the first resource that was added,
// removed, or routed differently.
func sameRoutes(running, next []config.Resource) error {
	byName := make(map[string]config.Resource, len(running))
	for _, r := range running {
		byName[r.Name] = r
	}
	for _, r := range next {
		old, ok := byName[r.Name]
		switch {
		case !ok:
			return fmt.Errorf("resources[%s] is new: adding a resource needs a restart",
				r.Name)
		case old.Upstream != r.Upstream || old.Listen != r.Listen ||
			old.Hostname != r.Hostname:
			return fmt.Errorf("resources[%s]: upstream, listen or hostname changed: "+
				"that needs a restart", r.Name)
		}
		delete(byName, r.Name)
	}
	for name := range byName {
		return fmt.Errorf("resources[%s] is gone: removing a resource needs a restart",
			name)
	}
	return nil
}

// restartNeeded reports whether next differs from running outside the
// resources' policies.
func restartNeeded(running, next *config.Config) bool {
	a, b := *running, *next
	a.Resources, b.Resources = nil, nil
	return !reflect.DeepEqual(a, b)
}
