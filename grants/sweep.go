package grants

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// reasonIdle is the end reason of a grant that its idle timeout ended.
const reasonIdle = "idle"

// swept counts what one Sweep ended.
type swept struct {
	requests, grants, idle int
}

// Sweep expires, in one transaction, the pending requests older than their
// resource's pending TTL, the active grants past their NotAfter, and those
// idle for longer than their idle timeout, and then tells the Table. It
// also stores the last traffic of idle-limited grants, so that a restart
// or another replica knows it.
func (s *Service) Sweep(ctx context.Context) error {
	var n swept
	var watched []string
	err := s.update(ctx, func(tx Tx, fx *effects) error {
		now := s.clock()
		var err error
		if n.requests, err = s.expireRequests(tx, fx, now); err != nil {
			return err
		}
		if n.grants, err = s.expireGrants(tx, fx, now); err != nil {
			return err
		}
		n.idle, watched, err = s.expireIdle(tx, fx, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}

	s.table.prune(s.clock())
	s.table.activity.keep(watched)
	if n.requests+n.grants+n.idle > 0 {
		s.log.Info("sweep expired", zap.Int(keyExpiredRequests, n.requests),
			zap.Int(keyExpiredGrants, n.grants), zap.Int(keyIdleGrants, n.idle))
	}
	return nil
}

func (s *Service) expireRequests(tx Tx, fx *effects, now time.Time) (int, error) {
	pending, err := tx.Requests(RequestFilter{
		States:        []RequestState{RequestPending},
		CreatedBefore: now.Add(-s.shortestTTL()),
	})
	if err != nil {
		return 0, err
	}

	n := 0
	for _, r := range pending {
		if !s.overdue(r, now) {
			continue
		}
		if err := s.endRequest(tx, fx, &r, RequestExpired, systemActor,
			whyOverdue); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// whyOverdue is the audit detail of a request that expired pending.
const whyOverdue = "no decision in time"

// overdue reports whether the pending request r has waited longer than its
// resource's pending TTL at now.
func (s *Service) overdue(r Request, now time.Time) bool {
	return r.CreatedAt.Before(now.Add(-s.ttlOf(r.Resource)))
}

// ttlOf returns how long a request for resource may stay pending; a
// resource no longer configured takes the default.
func (s *Service) ttlOf(resource string) time.Duration {
	res, ok := s.resource(resource)
	if !ok {
		return DefaultPendingTTL
	}
	return res.Policy.TTL()
}

// shortestTTL returns the shortest pending TTL of any resource, the
// default included.
func (s *Service) shortestTTL() time.Duration {
	ttl := DefaultPendingTTL
	for _, res := range *s.resources.Load() {
		ttl = min(ttl, res.Policy.TTL())
	}
	return ttl
}

func (s *Service) expireGrants(tx Tx, fx *effects, now time.Time) (int, error) {
	over, err := tx.Grants(GrantFilter{
		States:     []GrantState{GrantActive},
		EndsBefore: now,
	})
	if err != nil {
		return 0, err
	}

	for _, g := range over {
		const why = "reached its end"
		if err := s.endGrant(tx, fx, &g, GrantExpired, "", why); err != nil {
			return 0, err
		}
	}
	return len(over), nil
}

// expireIdle ends the active grants that had no traffic for their idle
// timeout and stores newer traffic of the others. It returns how many it
// ended and the IDs of those still active.
func (s *Service) expireIdle(tx Tx, fx *effects, now time.Time) (int, []string, error) {
	limited, err := tx.Grants(GrantFilter{
		States:      []GrantState{GrantActive},
		IdleLimited: true,
	})
	if err != nil {
		return 0, nil, err
	}

	ended, active := 0, make([]string, 0, len(limited))
	for _, g := range limited {
		seen := s.table.activity.last(g.ID)
		fresh := seen.After(g.LastActive)
		if fresh {
			g.LastActive = seen
		}

		switch {
		case !now.Before(g.expiry()):
			err = s.endGrant(tx, fx, &g, GrantExpired, "", reasonIdle)
			ended++
		case fresh:
			err = tx.UpdateGrant(g)
			active = append(active, g.ID)
		default:
			active = append(active, g.ID)
		}
		if err != nil {
			return 0, nil, err
		}
	}
	return ended, active, nil
}

// Run calls Sweep at once and then every interval until ctx ends, logging
// failures. An interval of zero or less means DefaultSweepInterval.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultSweepInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()

	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("sweep failed", zap.Error(err))
		}

		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
