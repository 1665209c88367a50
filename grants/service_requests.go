package grants

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
)

// CreateRequest checks n against its resource's policy and stores it:
// pending, or approved with its grant active when the policy approves it
// at once. Bad input is an *InputError, a requester the policy does not
// allow is ErrForbidden, and a request that would wait while its requester
// has MaxPendingPerUser waiting is ErrConflict; none changes anything. The
// reason and the ticket are trimmed.
func (s *Service) CreateRequest(ctx context.Context, n NewRequest) (Request, error) {
	n.Reason = strings.TrimSpace(n.Reason)
	n.Ticket = strings.TrimSpace(n.Ticket)

	var r Request
	err := s.update(ctx, func(tx Tx, fx *effects) (err error) {
		r, err = s.create(tx, fx, n)
		return err
	})
	if err != nil {
		return Request{}, err
	}

	s.log.Debug("request created", zap.String(keyRequest, r.ID),
		zap.String(keyUser, r.User), zap.String(keyResource, r.Resource),
		zap.String(keyState, string(r.State)), zap.String(keyRule, r.Rule))
	return r, nil
}

// create evaluates n and stores the request it makes.
func (s *Service) create(tx Tx, fx *effects, n NewRequest) (Request, error) {
	u, err := actingUser(tx, n.User, RoleRequester)
	if err != nil {
		return Request{}, err
	}
	res, ok := s.resource(n.Resource)
	if !ok {
		return Request{}, &InputError{Field: "resource",
			Problem: fmt.Sprintf("unknown resource %q", n.Resource)}
	}

	// One instant for the policy and the grant, so that a grant fitted to
	// a rule's window ends exactly when the window does.
	now := s.clock()
	ev := Evaluate(res.Policy, u, n, now)
	if ev.Outcome == OutcomeRefused {
		return Request{}, ev.Err
	}
	if len(n.CSR) == 0 {
		return Request{}, &InputError{Field: "csr", Problem: "must not be empty"}
	}
	r := s.newRequest(n, ev, now)
	if ev.Outcome == OutcomePending {
		if err := checkPendingRoom(tx, n.User); err != nil {
			return Request{}, err
		}
		if err := checkApprovable(tx, res.Policy, r); err != nil {
			return Request{}, err
		}
	}

	if err := tx.InsertRequest(r); err != nil {
		return Request{}, err
	}
	fx.request(r)
	detail := fmt.Sprintf("resource=%s duration=%s", r.Resource, FormatDuration(r.Duration))
	if err := s.audit(tx, r.User, "request.create", r.ID, detail); err != nil {
		return Request{}, err
	}

	if ev.Outcome == OutcomeApproved {
		return r, s.autoApprove(tx, fx, &r, res.Policy, now)
	}
	return r, nil
}

// checkPendingRoom refuses with ErrConflict when user already has
// MaxPendingPerUser requests pending.
func checkPendingRoom(tx Tx, user string) error {
	pending, err := tx.Requests(RequestFilter{User: user,
		States: []RequestState{RequestPending}})
	if err != nil {
		return err
	}

	if len(pending) >= MaxPendingPerUser {
		return fmt.Errorf("user %q has %d requests pending, the most allowed: "+
			"cancel one or wait for a decision: %w", user, len(pending), ErrConflict)
	}
	return nil
}

func (s *Service) newRequest(n NewRequest, ev Evaluation, now time.Time) Request {
	return Request{
		ID:        newID(RequestIDPrefix),
		User:      n.User,
		Resource:  n.Resource,
		Duration:  ev.Duration,
		Reason:    n.Reason,
		Ticket:    n.Ticket,
		CSR:       n.CSR,
		State:     RequestPending,
		CreatedAt: now,
		Decisions: []Decision{},
		Rule:      ev.Rule,
		Notes:     notesOf(ev),
	}
}

// notesOf returns what a request keeps of its evaluation's reasons: all
// but what it needs, which the first decision makes out of date.
func notesOf(ev Evaluation) []string {
	var notes []string
	for _, n := range ev.Reasons {
		if n != ev.Needs {
			notes = append(notes, n)
		}
	}
	return notes
}

// autoApprove approves r in the name of the policy rule r.Rule and
// activates its grant, starting now.
func (s *Service) autoApprove(tx Tx, fx *effects, r *Request, p Policy,
	now time.Time) error {
	detail := "auto-approved by rule " + r.Rule
	if err := s.audit(tx, systemActor, "request.approve", r.ID, detail); err != nil {
		return err
	}

	g, err := s.activate(tx, fx, *r, p, systemActor, now)
	if err != nil {
		return err
	}
	r.State, r.DecidedAt, r.GrantID = RequestApproved, now, g.ID
	fx.request(*r)
	return tx.UpdateRequest(*r)
}

// decidable returns the request and its policy when approver may decide it
// now: it is pending, its resource is configured, and the policy lets
// approver decide it.
func (s *Service) decidable(tx Tx, id, approver string) (Request, Policy, error) {
	r, err := tx.Request(id)
	if err != nil {
		return Request{}, Policy{}, err
	}
	if r.State != RequestPending {
		return Request{}, Policy{}, fmt.Errorf("request %s is %s: %w",
			id, r.State, ErrConflict)
	}
	res, ok := s.resource(r.Resource)
	if !ok {
		return Request{}, Policy{}, fmt.Errorf(
			"resource %q of request %s is no longer configured: %w",
			r.Resource, r.ID, ErrConflict)
	}

	u, err := actingUser(tx, approver, RoleApprover)
	if err == nil {
		err = res.Policy.MayDecide(u, r)
	}
	if err != nil {
		return Request{}, Policy{}, err
	}
	return r, res.Policy, nil
}

// Approve records an approval. When the policy's approval count is reached,
// counting only approvers who may still decide the request (see Tally),
// the grant becomes active, starting now, and its certificate is signed in
// the same transaction. The comment may be empty; a refusal is
// ErrNotFound, ErrConflict (not pending, past its pending TTL, or already
// approved by approver) or ErrForbidden (own request, not an approver the
// policy allows).
func (s *Service) Approve(ctx context.Context, id, approver, comment string,
) (Request, error) {
	comment = strings.TrimSpace(comment)
	if comment != "" {
		if err := checkFreeText("comment", comment); err != nil {
			return Request{}, err
		}
	}

	return s.decide(ctx, id, approver,
		func(tx Tx, fx *effects, r *Request, p Policy) error {
			if err := approveAgain(tx, *r, p, approver); err != nil {
				return err
			}
			if err := stillAllowed(tx, r, p); err != nil {
				return err
			}
			return s.approve(tx, fx, r, p, approver, comment)
		})
}

// approveAgain refuses, with ErrConflict, a second approval by approver,
// unless the approvals r has, counted as things are now, already suffice:
// they can once an approver rejoins the policy's approvers or the policy
// asks for fewer, and nothing else would then complete r.
func approveAgain(tx Tx, r Request, p Policy, approver string) error {
	if !approvers(r)[approver] {
		return nil
	}
	current, err := currentApprovers(tx, r)
	if err != nil {
		return err
	}
	if Tally(p, r, current).Done() {
		return nil
	}
	return fmt.Errorf("request %s already approved by %s: %w", r.ID, approver, ErrConflict)
}

// decide runs act on request id in one transaction once approver may
// decide it. A request that waited past its pending TTL is expired in that
// transaction instead, as the sweep would have, and ErrConflict returned
// once that is committed: nobody decides a request that ran out of time.
func (s *Service) decide(ctx context.Context, id, approver string,
	act func(tx Tx, fx *effects, r *Request, p Policy) error) (Request, error) {
	var (
		r       Request
		expired bool
	)
	err := s.update(ctx, func(tx Tx, fx *effects) error {
		var (
			p   Policy
			err error
		)
		r, p, err = s.decidable(tx, id, approver)
		if err != nil {
			return err
		}
		if expired = s.overdue(r, s.clock()); expired {
			return s.endRequest(tx, fx, &r, RequestExpired, systemActor, whyOverdue)
		}
		return act(tx, fx, &r, p)
	})
	if err != nil {
		return Request{}, err
	}

	if expired {
		return Request{}, fmt.Errorf("request %s expired: no decision within %s: %w",
			id, FormatDuration(s.ttlOf(r.Resource)), ErrConflict)
	}
	return r, nil
}

// stillAllowed refuses, with ErrConflict, to approve r when its requester
// could not make it now: no longer an enabled requester, or no longer among
// the policy's requesters, or without the reason or ticket the policy now
// asks for, or asking for more than the policy's maximum. A policy that
// caps shortens r instead. Pending requests are decided under the policy
// as it is, not as it was when they were made.
func stillAllowed(tx Tx, r *Request, p Policy) error {
	u, err := tx.User(r.User)
	if err != nil {
		return err
	}
	if !p.MayRequest(u) {
		return fmt.Errorf("request %s can no longer be approved: user %q may not request %s "+
			"now (disabled, not a requester, or not among its requesters): %w",
			r.ID, r.User, r.Resource, ErrConflict)
	}
	asked := NewRequest{Resource: r.Resource, Reason: r.Reason, Ticket: r.Ticket}
	if err := checkText(p, asked); err != nil {
		return fmt.Errorf("request %s can no longer be approved under the policy of "+
			"resource %q as it is now: %v: %w", r.ID, r.Resource, err, ErrConflict)
	}

	limit := p.Limit()
	switch {
	case r.Duration <= limit:
		return nil
	case !p.Cap:
		return fmt.Errorf("request %s can no longer be approved: its %s is over %s, "+
			"the longest grant of resource %q (max_duration): %w", r.ID,
			FormatDuration(r.Duration), FormatDuration(limit), r.Resource, ErrConflict)
	}
	r.Notes = append(r.Notes, fmt.Sprintf("duration %s shortened to the %s maximum",
		FormatDuration(r.Duration), FormatDuration(limit)))
	r.Duration = limit
	return nil
}

// approve adds approver's decision to r and activates the grant when it is
// the last one needed.
func (s *Service) approve(tx Tx, fx *effects, r *Request, p Policy,
	approver, comment string) error {
	now := s.clock()
	r.Decisions = append(r.Decisions,
		Decision{Approver: approver, Verdict: VerdictApprove, Comment: comment, At: now})
	if err := s.audit(tx, approver, "request.approve", r.ID, comment); err != nil {
		return err
	}

	current, err := currentApprovers(tx, *r)
	if err != nil {
		return err
	}
	if Tally(p, *r, current).Done() {
		g, err := s.activate(tx, fx, *r, p, approver, now)
		if err != nil {
			return err
		}
		r.State, r.DecidedAt, r.GrantID = RequestApproved, now, g.ID
		fx.request(*r)
	}
	return tx.UpdateRequest(*r)
}

// activate creates r's grant, starting now, with the conditions of p and
// its certificate signed. actor is who is audited as activating it.
func (s *Service) activate(tx Tx, fx *effects, r Request, p Policy, actor string,
	now time.Time) (Grant, error) {
	g := Grant{
		ID:          newID(GrantIDPrefix),
		RequestID:   r.ID,
		User:        r.User,
		Resource:    r.Resource,
		NotBefore:   now,
		NotAfter:    now.Add(r.Duration),
		State:       GrantActive,
		Rule:        r.Rule,
		MaxSessions: p.MaxSessions,
		IdleTimeout: p.IdleTimeout,
	}

	cert, err := s.signer.SignGrant(r.CSR, g)
	if err != nil {
		return Grant{}, fmt.Errorf("sign grant %s: %w", g.ID, err)
	}
	g.Certificate = cert
	if err := tx.InsertGrant(g); err != nil {
		return Grant{}, err
	}

	fx.grant(g)
	detail := fmt.Sprintf("request=%s resource=%s user=%s until=%s",
		r.ID, g.Resource, g.User, g.NotAfter.Format(time.RFC3339))
	return g, s.audit(tx, actor, "grant.activate", g.ID, detail)
}

// Deny ends a pending request as denied at once, whatever approvals it
// had. The comment is required; the refusals are those of Approve.
func (s *Service) Deny(ctx context.Context, id, approver, comment string,
) (Request, error) {
	comment = strings.TrimSpace(comment)
	if err := checkReason(comment); err != nil {
		return Request{}, err
	}

	return s.decide(ctx, id, approver, func(tx Tx, fx *effects, r *Request, _ Policy) error {
		r.Decisions = append(r.Decisions, Decision{Approver: approver,
			Verdict: VerdictDeny, Comment: comment, At: s.clock()})
		return s.endRequest(tx, fx, r, RequestDenied, approver, comment)
	})
}

// MayDecide returns nil when u may approve or deny r under its resource's
// current policy, as Approve and Deny judge it, r's state aside; an
// ErrForbidden or ErrConflict error says why not.
func (s *Service) MayDecide(u User, r Request) error {
	res, ok := s.resource(r.Resource)
	if !ok {
		return fmt.Errorf("resource %q is no longer configured: %w",
			r.Resource, ErrConflict)
	}
	return res.Policy.MayDecide(u, r)
}

// Progress returns how far the pending request r is from approval under
// its resource's current policy, counting the approvals of those who may
// still decide it; false when the resource is no longer configured.
func (s *Service) Progress(ctx context.Context, r Request) (Progress, bool, error) {
	res, ok := s.resource(r.Resource)
	if !ok {
		return Progress{}, false, nil
	}

	var current map[string]User
	err := s.store.View(ctx, func(tx Tx) (err error) {
		current, err = currentApprovers(tx, r)
		return err
	})
	if err != nil {
		return Progress{}, false, err
	}
	return Tally(res.Policy, r, current), true, nil
}

// Cancel lets the requester withdraw their own pending request.
func (s *Service) Cancel(ctx context.Context, id, user string) (Request, error) {
	var r Request
	err := s.update(ctx, func(tx Tx, fx *effects) error {
		var err error
		r, err = tx.Request(id)
		if err != nil {
			return err
		}
		if r.User != user {
			return fmt.Errorf("only the requester can cancel request %s: %w",
				id, ErrForbidden)
		}
		if r.State != RequestPending {
			return fmt.Errorf("request %s is %s: %w", id, r.State, ErrConflict)
		}
		return s.endRequest(tx, fx, &r, RequestCancelled, user, "")
	})
	if err != nil {
		return Request{}, err
	}
	return r, nil
}

// requestActions are the audit actions of a request entering a state.
var requestActions = map[RequestState]string{
	RequestDenied:    "request.deny",
	RequestCancelled: "request.cancel",
	RequestExpired:   "request.expire",
}

// endRequest moves a pending request to a final state and audits it.
func (s *Service) endRequest(tx Tx, fx *effects, r *Request, state RequestState,
	actor, detail string) error {
	r.State = state
	r.DecidedAt = s.clock()
	if err := tx.UpdateRequest(*r); err != nil {
		return err
	}

	fx.request(*r)
	return s.audit(tx, actor, requestActions[state], r.ID, detail)
}

// Request returns one request.
func (s *Service) Request(ctx context.Context, id string) (Request, error) {
	var r Request
	err := s.store.View(ctx, func(tx Tx) (err error) {
		r, err = tx.Request(id)
		return err
	})
	return r, err
}

// Requests returns the requests f selects.
func (s *Service) Requests(ctx context.Context, f RequestFilter) ([]Request, error) {
	var rs []Request
	err := s.store.View(ctx, func(tx Tx) (err error) {
		rs, err = tx.Requests(f)
		return err
	})
	return rs, err
}
