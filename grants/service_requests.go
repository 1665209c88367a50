package grants

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
)

// maxReason caps a request's reason, in characters.
const maxReason = 1024

// checkNewRequest validates n against the resources and returns it with its
// reason trimmed.
func (s *Service) checkNewRequest(n NewRequest) (NewRequest, error) {
	res, ok := s.resources[n.Resource]
	if !ok {
		return n, &InputError{Field: "resource",
			Problem: fmt.Sprintf("unknown resource %q", n.Resource)}
	}

	if n.Duration <= 0 {
		return n, &InputError{Field: "duration", Problem: "must be more than zero"}
	}
	if n.Duration > res.MaxDuration {
		return n, &InputError{Field: "duration", Problem: fmt.Sprintf(
			"%s is over the %s cap of resource %q",
			n.Duration, res.MaxDuration, res.Name)}
	}

	n.Reason = strings.TrimSpace(n.Reason)
	if err := checkReason(n.Reason); err != nil {
		return n, err
	}

	if len(n.CSR) == 0 {
		return n, &InputError{Field: "csr", Problem: "must not be empty"}
	}
	return n, nil
}

func checkReason(reason string) error {
	if reason == "" {
		return &InputError{Field: "reason", Problem: "must not be empty"}
	}
	if utf8.RuneCountInString(reason) > maxReason {
		return &InputError{Field: "reason",
			Problem: fmt.Sprintf("longer than %d characters", maxReason)}
	}
	return nil
}

// CreateRequest validates and stores a pending request. Bad input is an
// *InputError and changes nothing.
func (s *Service) CreateRequest(ctx context.Context, n NewRequest) (Request, error) {
	var r Request
	err := s.update(ctx, func(tx Tx, fx *effects) error {
		if _, err := actingUser(tx, n.User, RoleRequester); err != nil {
			return err
		}
		clean, err := s.checkNewRequest(n)
		if err != nil {
			return err
		}

		r = s.newRequest(clean)
		if err := tx.InsertRequest(r); err != nil {
			return err
		}
		fx.request(r)
		detail := fmt.Sprintf("resource=%s duration=%s", r.Resource, r.Duration)
		return s.audit(tx, r.User, "request.create", r.ID, detail)
	})
	if err != nil {
		return Request{}, err
	}

	s.log.Debug("request created", zap.String(keyRequest, r.ID),
		zap.String(keyUser, r.User), zap.String(keyResource, r.Resource))
	return r, nil
}

func (s *Service) newRequest(n NewRequest) Request {
	return Request{
		ID:        newID(requestPrefix),
		User:      n.User,
		Resource:  n.Resource,
		Duration:  n.Duration,
		Reason:    n.Reason,
		CSR:       n.CSR,
		State:     RequestPending,
		CreatedAt: s.clock(),
		Decisions: []Decision{},
	}
}

// decidable returns the request when approver may decide it now: it is
// pending, not theirs, and they are an enabled approver.
func decidable(tx Tx, id, approver, verb string) (Request, error) {
	r, err := tx.Request(id)
	if err != nil {
		return Request{}, err
	}

	if r.State != RequestPending {
		return Request{}, fmt.Errorf("request %s is %s: %w", id, r.State, ErrConflict)
	}
	if r.User == approver {
		return Request{}, fmt.Errorf("cannot %s own request: %w", verb, ErrForbidden)
	}
	if _, err := actingUser(tx, approver, RoleApprover); err != nil {
		return Request{}, err
	}
	return r, nil
}

// approvals counts the distinct approvers of r and reports whether who is
// one of them.
func approvals(r Request, who string) (n int, has bool) {
	seen := make(map[string]bool)
	for _, d := range r.Decisions {
		if d.Verdict == VerdictApprove {
			seen[d.Approver] = true
		}
	}
	return len(seen), seen[who]
}

// Approve records an approval. When the resource's approval count is
// reached the grant becomes active, starting now, and its certificate is
// signed in the same transaction. The comment may be empty; a refusal is
// ErrNotFound, ErrConflict (not pending, or already approved by approver)
// or ErrForbidden (own request, not an enabled approver).
func (s *Service) Approve(ctx context.Context, id, approver, comment string,
) (Request, error) {
	comment = strings.TrimSpace(comment)
	if comment != "" {
		if err := checkReason(comment); err != nil {
			return Request{}, err
		}
	}

	var r Request
	err := s.update(ctx, func(tx Tx, fx *effects) error {
		var err error
		r, err = decidable(tx, id, approver, "approve")
		if err != nil {
			return err
		}
		if _, again := approvals(r, approver); again {
			return fmt.Errorf("request %s already approved by %s: %w",
				id, approver, ErrConflict)
		}
		return s.approve(tx, fx, &r, approver, comment)
	})
	if err != nil {
		return Request{}, err
	}
	return r, nil
}

// approve adds approver's decision to r and activates the grant when it is
// the last one needed.
func (s *Service) approve(tx Tx, fx *effects, r *Request,
	approver, comment string) error {
	res, ok := s.resources[r.Resource]
	if !ok {
		return fmt.Errorf("resource %q of request %s is no longer configured: %w",
			r.Resource, r.ID, ErrConflict)
	}

	now := s.clock()
	r.Decisions = append(r.Decisions,
		Decision{Approver: approver, Verdict: VerdictApprove, Comment: comment, At: now})
	if err := s.audit(tx, approver, "request.approve", r.ID, comment); err != nil {
		return err
	}

	if n, _ := approvals(*r, approver); n >= res.Approvals {
		g, err := s.activate(tx, fx, *r, approver, now)
		if err != nil {
			return err
		}
		r.State, r.DecidedAt, r.GrantID = RequestApproved, now, g.ID
		fx.request(*r)
	}
	return tx.UpdateRequest(*r)
}

// activate creates r's grant, starting now, with its certificate signed.
func (s *Service) activate(tx Tx, fx *effects, r Request, approver string,
	now time.Time) (Grant, error) {
	g := Grant{
		ID:        newID(grantPrefix),
		RequestID: r.ID,
		User:      r.User,
		Resource:  r.Resource,
		NotBefore: now,
		NotAfter:  now.Add(r.Duration),
		State:     GrantActive,
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
	return g, s.audit(tx, approver, "grant.activate", g.ID, detail)
}

// Deny ends a pending request as denied. The comment is required.
func (s *Service) Deny(ctx context.Context, id, approver, comment string,
) (Request, error) {
	comment = strings.TrimSpace(comment)
	if err := checkReason(comment); err != nil {
		return Request{}, err
	}

	var r Request
	err := s.update(ctx, func(tx Tx, fx *effects) error {
		var err error
		r, err = decidable(tx, id, approver, "deny")
		if err != nil {
			return err
		}
		r.Decisions = append(r.Decisions, Decision{Approver: approver,
			Verdict: VerdictDeny, Comment: comment, At: s.clock()})
		return s.endRequest(tx, fx, &r, RequestDenied, approver, comment)
	})
	if err != nil {
		return Request{}, err
	}
	return r, nil
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
