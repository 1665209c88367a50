package grants

import "fmt"

// Progress says how far a pending request is from approval.
type Progress struct {
	// Have counts the distinct approvers who approved so far.
	Have int
	// Need is how many approvals the policy asks for.
	Need int
	// From lists who may give them; empty means any approver.
	From []Principal
}

// Tally returns r's progress under p. An approver counts once however
// often they appear, and the requester never counts.
func Tally(p Policy, r Request) Progress {
	return Progress{
		Have: len(approvers(r)),
		Need: p.Required(),
		From: p.Approvers,
	}
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
	return fmt.Sprintf("needs %d%s %s from %s", n, more, noun,
		describe(p.From, "any approver"))
}
