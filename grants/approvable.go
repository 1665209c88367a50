package grants

import (
	"errors"
	"fmt"
	"strings"
)

// checkApprovable refuses, with ErrConflict, a request r that would wait
// for more approvals under p than the users in tx can give it now. Without
// it, a policy whose listed approvers are not users, are disabled or lack
// the approver role leaves its requests pending until they expire, with
// nothing to tell the requester why.
func checkApprovable(tx Tx, p Policy, r Request) error {
	users, err := tx.Users()
	if err != nil {
		return err
	}
	can := 0
	for _, u := range users {
		if p.MayDecide(u, r) == nil {
			can++
		}
	}
	need := p.Required()
	if can >= need {
		return nil
	}

	return fmt.Errorf("a request for %s cannot be approved now: its policy needs %s "+
		"from %s and %s can give them%s; an admin can fix the users or the policy: %w",
		r.Resource, count(need, "approval"), describe(p.Approvers, "any approver"),
		count(can, "user"), unable(tx, p, r), ErrConflict)
}

// unable says why the users p lists by name, other than r's requester,
// cannot approve r, as " (carol is not a user; dave is disabled)".
func unable(tx Tx, p Policy, r Request) string {
	var why []string
	for _, pr := range p.Approvers {
		name := string(pr)
		if _, isGroup := pr.Group(); isGroup || name == r.User {
			continue
		}
		u, err := tx.User(name)
		switch {
		case errors.Is(err, ErrNotFound):
			why = append(why, name+" is not a user")
		case err != nil:
			// The explanation leaves out a user it could not read.
		case u.Disabled:
			why = append(why, name+" is disabled")
		case !u.Has(RoleApprover):
			why = append(why, name+" lacks the approver role")
		}
	}
	if len(why) == 0 {
		return ""
	}
	return " (" + strings.Join(why, "; ") + ")"
}

// count returns n and noun, with an s unless n is 1; "no" for none.
func count(n int, noun string) string {
	switch n {
	case 0:
		return "no " + noun
	case 1:
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
