package grants

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"
)

// Grant returns one grant.
func (s *Service) Grant(ctx context.Context, id string) (Grant, error) {
	var g Grant
	err := s.store.View(ctx, func(tx Tx) (err error) {
		g, err = tx.Grant(id)
		return err
	})
	return g, err
}

// Grants returns the grants f selects.
func (s *Service) Grants(ctx context.Context, f GrantFilter) ([]Grant, error) {
	var gs []Grant
	err := s.store.View(ctx, func(tx Tx) (err error) {
		gs, err = tx.Grants(f)
		return err
	})
	return gs, err
}

// Revoke ends an active grant; it returns once the revocation is durable
// and the Table has dropped the grant. The reason is required.
func (s *Service) Revoke(ctx context.Context, id, actor, reason string) (Grant, error) {
	reason = strings.TrimSpace(reason)
	if err := checkReason(reason); err != nil {
		return Grant{}, err
	}

	return s.endActive(ctx, id, actor, func(Grant) (GrantState, string, error) {
		return GrantRevoked, reason, nil
	})
}

// Release lets a grant's own user hand it back early.
func (s *Service) Release(ctx context.Context, id, user string) (Grant, error) {
	return s.endActive(ctx, id, user, func(g Grant) (GrantState, string, error) {
		if g.User != user {
			return "", "", fmt.Errorf("only the grant's user can release grant %s: %w",
				id, ErrForbidden)
		}
		return GrantReleased, "released by its user", nil
	})
}

// endActive ends the active grant id on behalf of actor, in the state and
// for the reason that decide returns, unless decide refuses.
func (s *Service) endActive(ctx context.Context, id, actor string,
	decide func(Grant) (GrantState, string, error)) (Grant, error) {
	var g Grant
	err := s.update(ctx, func(tx Tx, fx *effects) error {
		var err error
		g, err = tx.Grant(id)
		if err != nil {
			return err
		}

		state, reason, err := decide(g)
		if err != nil {
			return err
		}
		if g.State != GrantActive {
			return fmt.Errorf("grant %s is %s: %w", id, g.State, ErrConflict)
		}
		return s.endGrant(tx, fx, &g, state, actor, reason)
	})
	if err != nil {
		return Grant{}, err
	}
	return g, nil
}

// grantActions are the audit actions of a grant entering a state.
var grantActions = map[GrantState]string{
	GrantRevoked:  "grant.revoke",
	GrantReleased: "grant.release",
	GrantExpired:  "grant.expire",
}

// endGrant moves an active grant to a final state and audits it. by is
// empty for expiry, which is dated when the grant ran out (its NotAfter, or
// the end of its idle timeout) however late the sweep that notices it.
func (s *Service) endGrant(tx Tx, fx *effects, g *Grant, state GrantState,
	by, reason string) error {
	g.State = state
	g.EndedAt = s.clock()
	if state == GrantExpired {
		g.EndedAt = g.expiry()
	}
	g.EndedBy = by
	g.EndReason = reason
	if err := tx.UpdateGrant(*g); err != nil {
		return err
	}

	fx.grant(*g)
	return s.audit(tx, cmp.Or(by, systemActor), grantActions[state], g.ID, reason)
}

// expiry returns when g runs out: at NotAfter, or earlier when it has an
// idle timeout and no traffic for that long since LastActive (NotBefore
// when there was none).
func (g Grant) expiry() time.Time {
	if g.IdleTimeout <= 0 {
		return g.NotAfter
	}
	last := g.NotBefore
	if g.LastActive.After(last) {
		last = g.LastActive
	}
	idle := last.Add(g.IdleTimeout)
	if idle.Before(g.NotAfter) {
		return idle
	}
	return g.NotAfter
}
