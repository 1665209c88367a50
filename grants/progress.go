package grants

import (
	"errors"
	"fmt"
)

// Progress says how far a pending request is from approval.
type Progress struct {
	// Have counts the distinct approvers who approved so far.
	Have int
	// Need is how many approvals the policy asks for.
	Need int
	// From lists who may give them: the policy's approvers but the named
	// users who already approved or made the request. Empty means any
	// approver, unless Listed.
	From []Principal
	// Listed is set when the policy names its approvers, so that an empty
	// From means that none of them is left to approve.
	Listed bool
}

// Tally returns r's progress under p. An approver counts once however
// often they appear, and only while they may still decide r under p: the
// requester never counts, nor does an approver who has since been
// disabled, lost the approver role or left p's approvers. current holds
// the users who approved r as they are now, by name; an approver missing
// from it does not count.
func Tally(p Policy, r Request, current map[string]User) Progress {
	have := 0
	approved := approvers(r)
	for name := range approved {
		u, ok := current[name]
		if ok && p.MayDecide(u, r) == nil {
			have++
		}
	}
	return Progress{Have: have, Need: p.Required(),
		From: stillToApprove(p.Approvers, approved, r.User), Listed: len(p.Approvers) > 0}
}

// stillToApprove returns the principals of listed who may still add an
// approval: all but the named users who approved, and the requester.
func stillToApprove(listed []Principal, approved map[string]bool, requester string,
) []Principal {
	var out []Principal
	for _, p := range listed {
		if _, isGroup := p.Group(); isGroup || (!approved[string(p)] && string(p) != requester) {
			out = append(out, p)
		}
	}
	return out
}

// currentApprovers returns the users who approved r as they are in tx now,
// by name; one who no longer exists is left out.
func currentApprovers(tx Tx, r Request) (map[string]User, error) {
	out := make(map[string]User)
	for name := range approvers(r) {
		u, err := tx.User(name)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("approver of request %s: %w", r.ID, err)
		}
		out[name] = u
	}
	return out, nil
}

// approvers returns the set of people other than r's requester who
// approved r.
func approvers(r Request) map[string]bool {
	seen := make(map[string]bool)
	for _, d := range r.Decisions {
		if d.Verdict == VerdictApprove && d.Approver != r.User {
			seen[d.Approver] = true
		}
	}
	return seen
}

// Done reports whether the request has the approvals it needs.
func (p Progress) Done() bool {
	return p.Have >= p.Need
}

// Missing returns how many approvals are still needed.
func (p Progress) Missing() int {
	return max(p.Need-p.Have, 0)
}

// String says what is still needed, such as "needs 1 more approval from
// group:db-leads".
func (p Progress) String() string {
	n := p.Missing()
	if n == 0 {
		return "has the approvals it needs"
	}

	noun := "approval"
	if n > 1 {
		noun = "approvals"
	}
	more := ""
	if p.Have > 0 {
		more = " more"
	}
	if p.Listed && len(p.From) == 0 {
		return fmt.Sprintf("needs %d%s %s, and every approver the policy names has "+
			"approved or made the request", n, more, noun)
	}
	return fmt.Sprintf("needs %d%s %s from %s", n, more, noun,
		describe(p.From, "any approver"))
}
