package admin

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jitgate/jitgate/grants"
)

// createRequest answers POST /v1/requests (requester) with the stored
// request. Nothing is stored when the duration or the CSR is bad.
func (s *server) createRequest(w http.ResponseWriter, r *http.Request, u grants.User) error {
	var b createRequestBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	d, err := parseDuration(b.Duration)
	if err != nil {
		return err
	}
	csr, err := parseCSR(b.CSR)
	if err != nil {
		return err
	}

	req, err := s.svc.CreateRequest(r.Context(), grants.NewRequest{
		User:     u.Name,
		Resource: b.Resource,
		Duration: d,
		Reason:   b.Reason,
		Ticket:   b.Ticket,
		CSR:      csr.Raw,
	})
	if err != nil {
		return err
	}
	return s.writeRequest(w, r, http.StatusCreated, req)
}

// listRequests answers GET /v1/requests.
//
// Without all=true a caller sees their own requests that are pending or
// were created within grants.DefaultPendingTTL, and the pending requests
// of other users that the policy lets them decide. pending=true keeps only
// the pending ones, what they can act on, like state=pending. With
// all=true a requester sees all their own requests and an approver or
// admin sees every request. Each state=S parameter (or a comma-separated
// list) keeps only requests in those states. The list is ordered oldest
// first.
func (s *server) listRequests(w http.ResponseWriter, r *http.Request, u grants.User) error {
	all, err := boolQuery(r, "all")
	if err != nil {
		return err
	}
	pending, err := boolQuery(r, "pending")
	if err != nil {
		return err
	}
	states, err := requestStates(r)
	if err != nil {
		return err
	}
	if pending {
		states = []grants.RequestState{grants.RequestPending}
	}

	var list []grants.Request
	if all {
		list, err = s.allRequests(r, u, states)
	} else {
		list, err = s.currentRequests(r, u, states)
	}
	if err != nil {
		return err
	}
	return s.writeRequests(w, r, list)
}

// allRequests returns u's own requests, or every request when u decides.
func (s *server) allRequests(r *http.Request, u grants.User,
	states []grants.RequestState) ([]grants.Request, error) {
	f := grants.RequestFilter{States: states}
	if !u.Has(grants.RoleApprover) {
		f.User = u.Name
	}
	return s.svc.Requests(r.Context(), f)
}

// currentRequests returns what listRequests shows without all=true.
func (s *server) currentRequests(r *http.Request, u grants.User,
	states []grants.RequestState) ([]grants.Request, error) {
	own, err := s.svc.Requests(r.Context(), grants.RequestFilter{User: u.Name})
	if err != nil {
		return nil, err
	}
	recent := s.now().Add(-grants.DefaultPendingTTL)
	list := slices.DeleteFunc(own, func(q grants.Request) bool {
		return q.State != grants.RequestPending && q.CreatedAt.Before(recent)
	})

	if u.Has(grants.RoleApprover) {
		pending, err := s.svc.Requests(r.Context(), grants.RequestFilter{
			States: []grants.RequestState{grants.RequestPending},
		})
		if err != nil {
			return nil, err
		}
		others := slices.DeleteFunc(pending, func(q grants.Request) bool {
			return s.svc.MayDecide(u, q) != nil
		})
		list = append(list, others...)
	}
	return inStates(list, states), nil
}

// inStates keeps the requests in states, sorted oldest first; no states
// keeps all.
func inStates(list []grants.Request, states []grants.RequestState) []grants.Request {
	if len(states) > 0 {
		list = slices.DeleteFunc(list, func(q grants.Request) bool {
			return !slices.Contains(states, q.State)
		})
	}
	slices.SortStableFunc(list, func(a, b grants.Request) int {
		return a.CreatedAt.Compare(b.CreatedAt)
	})
	return list
}

// getRequest answers GET /v1/requests/{id} for its requester and for
// approvers; anyone else is told it does not exist.
func (s *server) getRequest(w http.ResponseWriter, r *http.Request, u grants.User) error {
	req, err := s.visibleRequest(r, u)
	if err != nil {
		return err
	}
	return s.writeRequest(w, r, http.StatusOK, req)
}

// visibleRequest returns the request named in the path if u may see it.
// One that does not exist and one that u may not see get the same answer.
func (s *server) visibleRequest(r *http.Request, u grants.User) (grants.Request, error) {
	id := r.PathValue("id")
	req, err := s.svc.Request(r.Context(), id)
	if errors.Is(err, grants.ErrNotFound) {
		return grants.Request{}, notFound("request", id, err)
	}
	if err != nil {
		return grants.Request{}, err
	}

	if !mayView(u, req.User) {
		return grants.Request{}, notFound("request", id, nil)
	}
	return req, nil
}

// approve answers POST /v1/requests/{id}/approve (approver); the policy
// of the request's resource may narrow who.
func (s *server) approve(w http.ResponseWriter, r *http.Request, u grants.User) error {
	var b approveBody
	if err := decode(w, r, &b); err != nil {
		return err
	}

	req, err := s.svc.Approve(r.Context(), r.PathValue("id"), u.Name, b.Comment)
	if err != nil {
		return err
	}
	return s.writeRequest(w, r, http.StatusOK, req)
}

// deny answers POST /v1/requests/{id}/deny (approver).
func (s *server) deny(w http.ResponseWriter, r *http.Request, u grants.User) error {
	var b reasonBody
	if err := decode(w, r, &b); err != nil {
		return err
	}

	req, err := s.svc.Deny(r.Context(), r.PathValue("id"), u.Name, b.Reason)
	if err != nil {
		return err
	}
	return s.writeRequest(w, r, http.StatusOK, req)
}

// cancel answers POST /v1/requests/{id}/cancel; the service lets only the
// requester withdraw. A request u may not see is not found.
func (s *server) cancel(w http.ResponseWriter, r *http.Request, u grants.User) error {
	if err := decode(w, r, &emptyBody{}); err != nil {
		return err
	}
	if _, err := s.visibleRequest(r, u); err != nil {
		return err
	}

	req, err := s.svc.Cancel(r.Context(), r.PathValue("id"), u.Name)
	if err != nil {
		return err
	}
	return s.writeRequest(w, r, http.StatusOK, req)
}

// durationShape is how a duration time.ParseDuration reads looks: one
// that has it and still does not parse is too long to hold.
var durationShape = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)` +
	`(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))*$`)

// parseDuration reads the duration field of a request body.
func parseDuration(text string) (time.Duration, error) {
	if text == "" {
		return 0, newError(http.StatusBadRequest, nil, "invalid duration: required")
	}

	d, err := time.ParseDuration(text)
	if err != nil && durationShape.MatchString(text) {
		return 0, newError(http.StatusBadRequest, err,
			"invalid duration: %s is far longer than any grant may last", text)
	}
	if err != nil {
		return 0, newError(http.StatusBadRequest, err,
			"invalid duration: %q is not a duration such as 30m or 2h", text)
	}
	if d <= 0 {
		return 0, newError(http.StatusBadRequest, nil,
			"invalid duration: %s is not positive", text)
	}
	return d, nil
}

// boolQuery reads a true/false query parameter; absent means false.
func boolQuery(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}

	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, newError(http.StatusBadRequest, err,
			"invalid %s: %q is not true or false", name, v)
	}
	return b, nil
}

// requestStates reads the state query parameters.
func requestStates(r *http.Request) ([]grants.RequestState, error) {
	var states []grants.RequestState
	for _, v := range r.URL.Query()["state"] {
		for name := range strings.SplitSeq(v, ",") {
			st := grants.RequestState(name)
			if !slices.Contains(knownRequestStates, st) {
				return nil, newError(http.StatusBadRequest, nil,
					"invalid state: %q is not one of %s", name, knownStateNames())
			}
			states = append(states, st)
		}
	}
	return states, nil
}

// knownRequestStates are the values state= accepts.
var knownRequestStates = []grants.RequestState{
	grants.RequestPending, grants.RequestApproved, grants.RequestDenied,
	grants.RequestExpired, grants.RequestCancelled,
}

// knownStateNames lists knownRequestStates for an error message.
func knownStateNames() string {
	names := make([]string, len(knownRequestStates))
	for i, st := range knownRequestStates {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}
