package grants

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Sweep expires pending requests older than DefaultPendingTTL and active
// grants past their NotAfter, in one transaction, and then tells the Table.
func (s *Service) Sweep(ctx context.Context) error {
	var requests, grants int
	err := s.update(ctx, func(tx Tx, fx *effects) error {
		now := s.clock()
		var err error
		if requests, err = s.expireRequests(tx, fx, now); err != nil {
			return err
		}
		grants, err = s.expireGrants(tx, fx, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}

	s.table.prune(s.clock())
	if requests+grants > 0 {
		s.log.Info("sweep expired", zap.Int(keyExpiredRequests, requests),
			zap.Int(keyExpiredGrants, grants))
	}
	return nil
}

func (s *Service) expireRequests(tx Tx, fx *effects, now time.Time) (int, error) {
	stale, err := tx.Requests(RequestFilter{
		States:        []RequestState{RequestPending},
		CreatedBefore: now.Add(-DefaultPendingTTL),
	})
	if err != nil {
		return 0, err
	}

	for _, r := range stale {
		const why = "no decision in time"
		if err := s.endRequest(tx, fx, &r, RequestExpired, systemActor, why); err != nil {
			return 0, err
		}
	}
	return len(stale), nil
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
