package grants

import (
	"fmt"
	"slices"
	"time"
)

// Bounds of a policy's numbers.
const (
	// MaxApprovals is the most approvals a policy may ask for.
	MaxApprovals = 10
)

// PolicyError is returned when a policy cannot work as written. Field is
// the key inside the policy, such as "approvals" or
// "auto_approve[1].window", so that the config file can point at it.
type PolicyError struct {
	Field   string
	Problem string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("policy %s: %s", e.Field, e.Problem)
}

func policyErr(field, format string, args ...any) *PolicyError {
	return &PolicyError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Check returns a *PolicyError naming the first problem of p, or nil. It
// refuses what could never work: negative values, bad names, more
// approvals than the listed approvers can give, settings that have no
// effect, and rules that no request can reach.
func (p Policy) Check() error {
	if err := p.checkNumbers(); err != nil {
		return err
	}
	if err := checkPrincipals("requesters", p.Requesters); err != nil {
		return err
	}
	if err := checkPrincipals("approvers", p.Approvers); err != nil {
		return err
	}
	if err := p.checkApprovals(); err != nil {
		return err
	}
	return p.checkRules()
}

func (p Policy) checkNumbers() error {
	switch {
	case p.MaxDuration < 0:
		return policyErr("max_duration", "%s is negative", FormatDuration(p.MaxDuration))
	case p.MaxDuration > 0 && p.MaxDuration < MinDuration:
		return policyErr("max_duration", "%s is under the shortest grant, %s",
			FormatDuration(p.MaxDuration), FormatDuration(MinDuration))
	case p.Approvals < 0 || p.Approvals > MaxApprovals:
		return policyErr("approvals", "%d is not from 1 to %d", p.Approvals, MaxApprovals)
	case p.PendingTTL < 0:
		return policyErr("pending_ttl", "%s is negative", FormatDuration(p.PendingTTL))
	case p.MaxSessions < 0:
		return policyErr("max_sessions", "%d is negative", p.MaxSessions)
	case p.IdleTimeout < 0:
		return policyErr("idle_timeout", "%s is negative", FormatDuration(p.IdleTimeout))
	}
	return nil
}

func checkPrincipals(field string, ps []Principal) error {
	for i, pr := range ps {
		if _, err := ParsePrincipal(string(pr)); err != nil {
			return policyErr(fmt.Sprintf("%s[%d]", field, i), "%v", err)
		}
		if slices.Contains(ps[:i], pr) {
			return policyErr(fmt.Sprintf("%s[%d]", field, i), "%s is listed twice", pr)
		}
	}
	return nil
}

// checkApprovals refuses approvals that the listed approvers can never
// give. Only a list of people can be counted: a group may have any
// number of members.
func (p Policy) checkApprovals() error {
	if p.AutoApprove.Always {
		if p.Approvals > 0 || len(p.Approvers) > 0 {
			return policyErr("auto_approve",
				"always approves every request, so approvals and approvers never apply")
		}
		return nil
	}
	if len(p.Approvers) == 0 || slices.ContainsFunc(p.Approvers, isGroup) {
		return nil
	}

	available := len(p.Approvers)
	if p.requesterAlwaysApprover() {
		// Nobody counts towards their own request.
		available--
	}
	if p.Required() > available {
		return policyErr("approvals", "%d approvals can never be given: "+
			"only %d of the approvers (%s) can approve any one request",
			p.Required(), available, describe(p.Approvers, ""))
	}
	return nil
}

// requesterAlwaysApprover reports whether every possible requester is
// one of the approvers, so that each request loses one of them.
func (p Policy) requesterAlwaysApprover() bool {
	if len(p.Requesters) == 0 || slices.ContainsFunc(p.Requesters, isGroup) {
		return false
	}
	for _, r := range p.Requesters {
		if !slices.Contains(p.Approvers, r) {
			return false
		}
	}
	return true
}

func isGroup(p Principal) bool {
	_, ok := p.Group()
	return ok
}

// checkRules checks each rule and that every one of them can be reached.
func (p Policy) checkRules() error {
	for i, r := range p.AutoApprove.Rules {
		field := fmt.Sprintf("auto_approve[%d]", i)
		if err := p.checkRule(field, r); err != nil {
			return err
		}
		for _, earlier := range p.AutoApprove.Rules[:i] {
			if earlier.Name == r.Name {
				return policyErr(field+".name", "%q names two rules", r.Name)
			}
			if earlier.covers(r, p.Limit()) {
				return policyErr(field, "rule %s can never apply: rule %s before it "+
					"matches every request it would", r.Name, earlier.Name)
			}
		}
	}
	return nil
}

func (p Policy) checkRule(field string, r Rule) error {
	if !userName.MatchString(r.Name) {
		return policyErr(field+".name", "%q: want 1 to 63 of a-z 0-9 . _ -", r.Name)
	}
	if err := checkPrincipals(field+".requesters", r.Requesters); err != nil {
		return err
	}
	if r.MaxDuration < 0 {
		return policyErr(field+".max_duration", "%s is negative",
			FormatDuration(r.MaxDuration))
	}
	if p.outsideRequesters(r) {
		return policyErr(field+".requesters", "none of %s may request the resource "+
			"(requesters: %s), so the rule can never apply",
			describe(r.Requesters, ""), describe(p.Requesters, ""))
	}
	return nil
}

// outsideRequesters reports whether r names only people that p does not
// let request. A group in either list may overlap anything.
func (p Policy) outsideRequesters(r Rule) bool {
	if len(r.Requesters) == 0 || len(p.Requesters) == 0 ||
		slices.ContainsFunc(p.Requesters, isGroup) ||
		slices.ContainsFunc(r.Requesters, isGroup) {
		return false
	}
	for _, who := range r.Requesters {
		if slices.Contains(p.Requesters, who) {
			return false
		}
	}
	return true
}

// covers reports whether r matches every request that later matches, so
// that later can never be the first rule to match. Requests reach the
// rules no longer than limit, the policy's maximum, so a rule's maximum
// at or above it is no condition, and nor is a window open all week.
func (r Rule) covers(later Rule, limit time.Duration) bool {
	requesters := len(r.Requesters) == 0 || (len(later.Requesters) > 0 &&
		subset(later.Requesters, r.Requesters))
	duration := upTo(later.MaxDuration, limit) <= upTo(r.MaxDuration, limit)
	window := r.Window == nil || r.Window.alwaysOpen() ||
		(later.Window != nil && later.Window.String() == r.Window.String())
	ticket := !r.Ticket || later.Ticket
	return requesters && duration && window && ticket
}

// upTo is the longest request a rule's maximum d lets through when no
// request is longer than limit; zero means no maximum.
func upTo(d, limit time.Duration) time.Duration {
	if d == 0 || d > limit {
		return limit
	}
	return d
}

// subset reports whether every element of a is in b.
func subset(a, b []Principal) bool {
	for _, p := range a {
		if !slices.Contains(b, p) {
			return false
		}
	}
	return true
}
