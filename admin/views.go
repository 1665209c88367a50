package admin

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jitgate/jitgate/grants"
)

// UserView is a user as the admin API shows it.
type UserView struct {
	Name string `json:"name"`
	// Roles are "requester", "approver" and "admin".
	Roles []string `json:"roles"`
	// Groups are what policies name as group:NAME; never null.
	Groups   []string `json:"groups"`
	Disabled bool     `json:"disabled"`
	// CreatedAt is in UTC.
	CreatedAt time.Time `json:"created_at"`
	// EnrolledAt is zero, and left out, until the user enrols, and again
	// once given a new token, until they enrol with it.
	EnrolledAt time.Time `json:"enrolled_at,omitzero"`
}

// RequestView is an access request as the admin API shows it.
type RequestView struct {
	ID       string              `json:"id"`
	State    grants.RequestState `json:"state"`
	User     string              `json:"user"`
	Resource string              `json:"resource"`
	// Duration is a Go duration string such as "30m" or "1h30m".
	Duration string `json:"duration"`
	Reason   string `json:"reason"`
	// Ticket is the change or incident reference; left out when none.
	Ticket string `json:"ticket,omitempty"`
	// CreatedAt and DecidedAt are in UTC; DecidedAt is zero, and left out,
	// while the request is pending.
	CreatedAt time.Time `json:"created_at"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	// Decisions are every approval and denial, oldest first.
	Decisions []grants.Decision `json:"decisions"`
	// GrantID names the grant an approval created; empty otherwise.
	GrantID string `json:"grant_id,omitempty"`
	// Rule names the policy rule that approved the request automatically,
	// or is "always"; left out when people decided.
	Rule string `json:"rule,omitempty"`
	// Notes are the policy's reasons for what it decided when the request
	// was made; never null.
	Notes []string `json:"notes"`
	// Needs says what a pending request still needs under the current
	// policy, such as "needs 1 more approval from group:db-leads"; left
	// out once it is decided.
	Needs string `json:"needs,omitempty"`
}

// GrantView is a grant as the admin API shows it, without its certificate.
type GrantView struct {
	ID        string            `json:"id"`
	RequestID string            `json:"request_id"`
	State     grants.GrantState `json:"state"`
	User      string            `json:"user"`
	Resource  string            `json:"resource"`
	// NotBefore, NotAfter and EndedAt are in UTC.
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// EndedAt, EndedBy and EndReason are left out while the grant is
	// active; EndedBy stays empty when the grant expired.
	EndedAt   time.Time `json:"ended_at,omitzero"`
	EndedBy   string    `json:"ended_by,omitempty"`
	EndReason string    `json:"end_reason,omitempty"`
	// Rule names the policy rule that approved the grant; left out when
	// people approved it.
	Rule string `json:"rule,omitempty"`
	// MaxSessions is how many connections the grant allows in all and
	// Sessions how many were made. Connections are counted only against a
	// limit: both are left out when the grant has none.
	MaxSessions int  `json:"max_sessions,omitempty"`
	Sessions    *int `json:"sessions,omitempty"`
	// IdleTimeout is a duration string; left out when the grant has none.
	IdleTimeout string `json:"idle_timeout,omitempty"`
}

// ResourceInfo describes a protected resource to callers of
// GET /v1/resources: where to reach it and the policy it is requested
// under.
type ResourceInfo struct {
	Name string `json:"name"`
	// Address is the host:port where clients reach the resource through
	// the proxy; empty when the server does not advertise one.
	Address string `json:"address,omitempty"`
	// ServerName is the TLS server name to send to the proxy at Address;
	// empty when there is no Address.
	ServerName string `json:"server_name,omitempty"`
	// Policy is filled in by the server from the policy in force.
	Policy PolicyView `json:"policy"`
}

// userView returns the view of u.
func userView(u grants.User) UserView {
	return UserView{
		Name:       u.Name,
		Roles:      roleNames(u.Roles),
		Groups:     nonNil(u.Groups),
		Disabled:   u.Disabled,
		CreatedAt:  u.CreatedAt.UTC(),
		EnrolledAt: u.EnrolledAt.UTC(),
	}
}

// roleNames returns the names of roles, never nil.
func roleNames(roles []grants.Role) []string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return names
}

// requestView returns the view of r.
func requestView(r grants.Request) RequestView {
	decisions := make([]grants.Decision, len(r.Decisions))
	for i, d := range r.Decisions {
		d.At = d.At.UTC()
		decisions[i] = d
	}
	return RequestView{
		ID:        r.ID,
		State:     r.State,
		User:      r.User,
		Resource:  r.Resource,
		Duration:  grants.FormatDuration(r.Duration),
		Reason:    r.Reason,
		Ticket:    r.Ticket,
		CreatedAt: r.CreatedAt.UTC(),
		DecidedAt: r.DecidedAt.UTC(),
		Decisions: decisions,
		GrantID:   r.GrantID,
		Rule:      r.Rule,
		Notes:     nonNil(r.Notes),
	}
}

// requestView returns the view of r with what it still needs, when it is
// pending, under the policy in force.
func (s *server) requestView(ctx context.Context, r grants.Request) (RequestView, error) {
	v := requestView(r)
	if r.State != grants.RequestPending {
		return v, nil
	}

	p, ok, err := s.svc.Progress(ctx, r)
	if err != nil {
		return RequestView{}, fmt.Errorf("progress of request %s: %w", r.ID, err)
	}
	if ok {
		v.Needs = p.String()
	}
	return v, nil
}

// writeRequest answers with the view of req.
func (s *server) writeRequest(w http.ResponseWriter, r *http.Request, status int,
	req grants.Request) error {
	v, err := s.requestView(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, status, v)
}

// writeRequests answers with the views of list, [] when it is empty.
func (s *server) writeRequests(w http.ResponseWriter, r *http.Request,
	list []grants.Request) error {
	out := make([]RequestView, len(list))
	for i, req := range list {
		v, err := s.requestView(r.Context(), req)
		if err != nil {
			return err
		}
		out[i] = v
	}
	return writeJSON(w, http.StatusOK, out)
}

// grantView returns the view of g.
func grantView(g grants.Grant) GrantView {
	return GrantView{
		ID:          g.ID,
		RequestID:   g.RequestID,
		State:       g.State,
		User:        g.User,
		Resource:    g.Resource,
		NotBefore:   g.NotBefore.UTC(),
		NotAfter:    g.NotAfter.UTC(),
		EndedAt:     g.EndedAt.UTC(),
		EndedBy:     g.EndedBy,
		EndReason:   g.EndReason,
		Rule:        g.Rule,
		MaxSessions: g.MaxSessions,
		Sessions:    sessionsOf(g),
		IdleTimeout: optionalDuration(g.IdleTimeout),
	}
}

// sessionsOf returns how many connections g made, or nil when g has no
// session limit and they are not counted.
func sessionsOf(g grants.Grant) *int {
	if g.MaxSessions == 0 {
		return nil
	}
	n := g.Sessions
	return &n
}

// optionalDuration formats d, or returns "" for zero.
func optionalDuration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return grants.FormatDuration(d)
}

// views applies view to every element of list; an empty list stays a
// list, so that it renders as [] rather than null.
func views[T, V any](list []T, view func(T) V) []V {
	out := make([]V, len(list))
	for i, v := range list {
		out[i] = view(v)
	}
	return out
}

// nonNil returns s, or an empty slice when s is nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
