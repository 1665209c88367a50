package admin

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jitgate/jitgate/grants"
)

// UserView is a user as the admin API shows it.
type UserView struct {
	Name string `json:"name"`
	// Roles are "requester", "approver" and "admin".
	Roles    []string `json:"roles"`
	Disabled bool     `json:"disabled"`
	// CreatedAt is in UTC.
	CreatedAt time.Time `json:"created_at"`
	// EnrolledAt is zero, and left out, until the user first enrols.
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
	// CreatedAt and DecidedAt are in UTC; DecidedAt is zero, and left out,
	// while the request is pending.
	CreatedAt time.Time         `json:"created_at"`
	DecidedAt time.Time         `json:"decided_at,omitzero"`
	Decisions []grants.Decision `json:"decisions"`
	// GrantID names the grant an approval created; empty otherwise.
	GrantID string `json:"grant_id,omitempty"`
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
}

// ResourceInfo describes a protected resource to callers of
// GET /v1/resources. In JSON MaxDuration is a duration string.
type ResourceInfo struct {
	Name string
	// Approvals is how many distinct approvers a request needs.
	Approvals   int
	MaxDuration time.Duration
	// Address is the host:port where clients reach the resource through
	// the proxy; empty when the server does not advertise one.
	Address string
	// ServerName is the TLS server name to send to the proxy at Address;
	// empty when there is no Address.
	ServerName string
}

// resourceJSON is the wire form of ResourceInfo.
type resourceJSON struct {
	Name        string `json:"name"`
	Approvals   int    `json:"approvals"`
	MaxDuration string `json:"max_duration"`
	Address     string `json:"address,omitempty"`
	ServerName  string `json:"server_name,omitempty"`
}

// MarshalJSON writes r as {"name", "approvals", "max_duration", "address",
// "server_name"}, leaving out the last two when empty.
func (r ResourceInfo) MarshalJSON() ([]byte, error) {
	return json.Marshal(resourceJSON{
		Name:        r.Name,
		Approvals:   r.Approvals,
		MaxDuration: formatDuration(r.MaxDuration),
		Address:     r.Address,
		ServerName:  r.ServerName,
	})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *ResourceInfo) UnmarshalJSON(b []byte) error {
	var w resourceJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}

	d, err := time.ParseDuration(w.MaxDuration)
	if err != nil {
		return fmt.Errorf("resource %s: max_duration: %w", w.Name, err)
	}
	*r = ResourceInfo{
		Name:        w.Name,
		Approvals:   w.Approvals,
		MaxDuration: d,
		Address:     w.Address,
		ServerName:  w.ServerName,
	}
	return nil
}

// userView returns the view of u.
func userView(u grants.User) UserView {
	return UserView{
		Name:       u.Name,
		Roles:      roleNames(u.Roles),
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
		Duration:  formatDuration(r.Duration),
		Reason:    r.Reason,
		CreatedAt: r.CreatedAt.UTC(),
		DecidedAt: r.DecidedAt.UTC(),
		Decisions: decisions,
		GrantID:   r.GrantID,
	}
}

// grantView returns the view of g.
func grantView(g grants.Grant) GrantView {
	return GrantView{
		ID:        g.ID,
		RequestID: g.RequestID,
		State:     g.State,
		User:      g.User,
		Resource:  g.Resource,
		NotBefore: g.NotBefore.UTC(),
		NotAfter:  g.NotAfter.UTC(),
		EndedAt:   g.EndedAt.UTC(),
		EndedBy:   g.EndedBy,
		EndReason: g.EndReason,
	}
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

// formatDuration writes d like time.Duration.String without the zero units
// at the end: "30m" rather than "30m0s", "2h" rather than "2h0m0s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
