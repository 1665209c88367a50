package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/jitgate/jitgate/grants"
)

// Limits of GET /v1/audit.
const (
	// defaultAuditLimit is how many events /v1/audit returns without limit=.
	defaultAuditLimit = 100
	// maxAuditLimit is the largest limit= accepted.
	maxAuditLimit = 10000
)

// certificate answers GET /v1/requests/{id}/certificate with the grant
// certificate of an approved request, for its requester or an admin. A
// request that is not approved, or whose grant has ended, is a conflict:
// its certificate would open nothing.
func (s *server) certificate(w http.ResponseWriter, r *http.Request, u grants.User) error {
	req, err := s.visibleRequest(r, u)
	if err != nil {
		return err
	}
	if req.User != u.Name && !u.Has(grants.RoleAdmin) {
		return newError(http.StatusForbidden, nil,
			"only the requester or an admin may fetch a grant certificate")
	}
	if req.State != grants.RequestApproved || req.GrantID == "" {
		return newError(http.StatusConflict, nil, "request %s is %s, not approved",
			req.ID, req.State)
	}

	g, err := s.svc.Grant(r.Context(), req.GrantID)
	if err != nil {
		return err
	}
	if g.State != grants.GrantActive {
		return newError(http.StatusConflict, nil, "grant %s is %s", g.ID, g.State)
	}
	if len(g.Certificate) == 0 {
		return fmt.Errorf("grant %s has no certificate", g.ID)
	}

	return writeJSON(w, http.StatusOK, grantCertificateBody{
		Certificate: pemCertificate(g.Certificate),
		CA:          string(s.ca.BundlePEM()),
		Grant:       grantView(g),
	})
}

// listGrants answers GET /v1/grants: active grants, or with all=true grants
// in any state; the caller's own, or everyone's for approvers and admins.
// The list is ordered oldest first.
func (s *server) listGrants(w http.ResponseWriter, r *http.Request, u grants.User) error {
	all, err := boolQuery(r, "all")
	if err != nil {
		return err
	}

	var f grants.GrantFilter
	if !all {
		f.States = []grants.GrantState{grants.GrantActive}
	}
	if !u.Has(grants.RoleApprover) {
		f.User = u.Name
	}

	list, err := s.svc.Grants(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, views(list, grantView))
}

// getGrant answers GET /v1/grants/{id} for the grant's user and for
// approvers; anyone else is told it does not exist.
func (s *server) getGrant(w http.ResponseWriter, r *http.Request, u grants.User) error {
	g, err := s.visibleGrant(r, u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, grantView(g))
}

// visibleGrant returns the grant named in the path if u may see it. One
// that does not exist and one that u may not see get the same answer.
func (s *server) visibleGrant(r *http.Request, u grants.User) (grants.Grant, error) {
	id := r.PathValue("id")
	g, err := s.svc.Grant(r.Context(), id)
	if errors.Is(err, grants.ErrNotFound) {
		return grants.Grant{}, notFound("grant", id, err)
	}
	if err != nil {
		return grants.Grant{}, err
	}

	if !mayView(u, g.User) {
		return grants.Grant{}, notFound("grant", id, nil)
	}
	return g, nil
}

// revoke answers POST /v1/grants/{id}/revoke (admin) once the revocation
// is durable.
func (s *server) revoke(w http.ResponseWriter, r *http.Request, admin grants.User) error {
	var b reasonBody
	if err := decode(w, r, &b); err != nil {
		return err
	}

	g, err := s.svc.Revoke(r.Context(), r.PathValue("id"), admin.Name, b.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, grantView(g))
}

// release answers POST /v1/grants/{id}/release; the service lets only the
// grant's own user hand it back. A grant u may not see is not found.
func (s *server) release(w http.ResponseWriter, r *http.Request, u grants.User) error {
	if err := decode(w, r, &emptyBody{}); err != nil {
		return err
	}
	if _, err := s.visibleGrant(r, u); err != nil {
		return err
	}

	g, err := s.svc.Release(r.Context(), r.PathValue("id"), u.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, grantView(g))
}

// audit answers GET /v1/audit?limit=N (admin) with the newest N events,
// oldest first.
func (s *server) audit(w http.ResponseWriter, r *http.Request, _ grants.User) error {
	limit, err := auditLimit(r)
	if err != nil {
		return err
	}

	events, err := s.svc.Events(r.Context(), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(events))
}

// auditLimit reads the limit query parameter of /v1/audit.
func auditLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return defaultAuditLimit, nil
	}

	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxAuditLimit {
		return 0, newError(http.StatusBadRequest, err,
			"invalid limit: %q is not a number from 1 to %d", v, maxAuditLimit)
	}
	return n, nil
}
