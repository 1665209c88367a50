package grants

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// RuleAlways is the Rule recorded on requests and grants that a policy with
// AutoApprove.Always approved.
const RuleAlways = "always"

// groupPrefix marks a Principal that names a group.
const groupPrefix = "group:"

// Principal names who a policy means: a user by name ("alice"), or every
// member of a group ("group:db-leads").
type Principal string

// ParsePrincipal checks that s is a user name or "group:" and a group name.
func ParsePrincipal(s string) (Principal, error) {
	name, _ := strings.CutPrefix(s, groupPrefix)
	if !userName.MatchString(name) {
		return "", fmt.Errorf("%q is not a user name or group:NAME "+
			"(names are 1 to 63 of a-z 0-9 . _ -)", s)
	}
	return Principal(s), nil
}

// Group returns the group p names and true, or "" and false when p names
// a user.
func (p Principal) Group() (string, bool) {
	return strings.CutPrefix(string(p), groupPrefix)
}

// Includes reports whether u is p or a member of the group p names.
func (p Principal) Includes(u User) bool {
	if group, ok := p.Group(); ok {
		return u.InGroup(group)
	}
	return string(p) == u.Name
}

// anyIncludes reports whether one of ps includes u.
func anyIncludes(ps []Principal, u User) bool {
	return slices.ContainsFunc(ps, func(p Principal) bool { return p.Includes(u) })
}

// describe lists ps for a message, or says who an empty list means.
func describe(ps []Principal, empty string) string {
	if len(ps) == 0 {
		return empty
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}

// Policy is what a resource demands of a request and of the grant it
// becomes. The zero Policy is the default one: any requester may ask for
// up to DefaultMaxDuration with a reason, one approver decides, requests
// wait DefaultPendingTTL, and grants have no session or idle limits.
// Policies are values; the Service swaps whole sets of them at once.
type Policy struct {
	// Requesters may request the resource, besides holding the requester
	// role; empty means every requester.
	Requesters []Principal
	// MaxDuration is the longest grant; zero means DefaultMaxDuration.
	MaxDuration time.Duration
	// Cap shortens a longer request to MaxDuration; false refuses it.
	Cap bool
	// ReasonOptional lets a request come without a reason; by default one
	// is required.
	ReasonOptional bool
	// TicketPattern, when set, makes a ticket reference required, and the
	// whole of it must match; nil leaves the ticket optional.
	TicketPattern *regexp.Regexp
	// Approvals is how many distinct approvers must approve a request
	// that no rule approves; zero means 1.
	Approvals int
	// Approvers may decide requests, besides holding the approver role;
	// empty means every approver.
	Approvers []Principal
	// AutoApprove says when a request is approved without an approver.
	AutoApprove AutoApprove
	// PendingTTL is how long a request waits for a decision before it
	// expires; zero means DefaultPendingTTL.
	PendingTTL time.Duration
	// MaxSessions is how many connections a grant allows in all; zero
	// means no limit.
	MaxSessions int
	// IdleTimeout ends a grant after no traffic for that long; zero means
	// never.
	IdleTimeout time.Duration
}

// AutoApprove says when requests are approved with no approver: always,
// or when one of the rules matches, the first that does.
type AutoApprove struct {
	Always bool
	Rules  []Rule
}

// Enabled reports whether any request can be approved automatically.
func (a AutoApprove) Enabled() bool {
	return a.Always || len(a.Rules) > 0
}

// Rule approves a request when all of its conditions hold. A condition
// left zero always holds.
type Rule struct {
	// Name is recorded on the requests and grants the rule approves.
	Name string
	// Requesters limits the rule to these users and groups.
	Requesters []Principal
	// MaxDuration limits the rule to requests no longer than it.
	MaxDuration time.Duration
	// Window limits the rule to requests made inside it; the grants it
	// approves end, at the latest, when that stretch of the window ends.
	Window *Window
	// Ticket limits the rule to requests that give a ticket reference.
	Ticket bool
}

// Limit returns the longest grant p allows, applying the default.
func (p Policy) Limit() time.Duration {
	if p.MaxDuration <= 0 {
		return DefaultMaxDuration
	}
	return p.MaxDuration
}

// Required returns how many approvals a request needs, applying the
// default.
func (p Policy) Required() int {
	return max(p.Approvals, 1)
}

// TTL returns how long a request may stay pending, applying the default.
func (p Policy) TTL() time.Duration {
	if p.PendingTTL <= 0 {
		return DefaultPendingTTL
	}
	return p.PendingTTL
}

// MayRequest reports whether u may request under p: an enabled user
// holding the requester role and, when p lists requesters, listed.
func (p Policy) MayRequest(u User) bool {
	if u.Disabled || !u.Has(RoleRequester) {
		return false
	}
	return len(p.Requesters) == 0 || anyIncludes(p.Requesters, u)
}

// MayDecide returns nil when u may approve or deny r under p, and an
// ErrForbidden otherwise: u must be an enabled approver, listed when p
// lists approvers, and not r's requester.
func (p Policy) MayDecide(u User, r Request) error {
	switch {
	case u.Name == r.User:
		return fmt.Errorf("cannot approve or deny own request %s: %w", r.ID, ErrForbidden)
	case u.Disabled:
		return fmt.Errorf("user %q is disabled: %w", u.Name, ErrForbidden)
	case !u.Has(RoleApprover):
		return fmt.Errorf("user %q lacks the approver role: %w", u.Name, ErrForbidden)
	case len(p.Approvers) > 0 && !anyIncludes(p.Approvers, u):
		return fmt.Errorf("user %q is not an approver of %s (approvers: %s): %w",
			u.Name, r.Resource, describe(p.Approvers, ""), ErrForbidden)
	}
	return nil
}
