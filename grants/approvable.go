package grants

import (
	"fmt"
	"strings"
)

// checkApprovable refuses, with ErrConflict, a request r that would wait
// for more approvals under p than the users in tx can give it now. Without
// it, a policy whose listed approvers are not users, are disabled or lack
// the approver role leaves its requests pending until they expire, with
// nothing to tell the requester why. The refusal names the listed people
// who cannot approve, not why: whether an account exists or is disabled
// is for admins to look up.
func checkApprovable(tx Tx, p Policy, r Request) error {
	users, err := tx.Users()
	if err != nil {
		return err
	}
	can := 0
	byName := make(map[string]User, len(users))
	for _, u := range users {
		byName[u.Name] = u
		if p.MayDecide(u, r) == nil {
			can++
		}
	}
	need := p.Required()
	if can >= need {
		return nil
	}

	return fmt.Errorf("a request for %s cannot be approved now: its policy asks for %s "+
		"from %s, but %s may approve it%s; an admin can fix the users or the policy: %w",
		r.Resource, count(need, "approval"), describe(p.Approvers, "any approver"),
		count(can, "user"), unable(p, r, byName), ErrConflict)
}

// unable names the users p lists who cannot approve r, other than its
// requester, as " (carol and dave cannot)"; users holds everyone by name.
func unable(p Policy, r Request, users map[string]User) string {
	var names []string
	for _, pr := range p.Approvers {
		name := string(pr)
		if _, isGroup := pr.Group(); isGroup || name == r.User {
			continue
		}
		if u, ok := users[name]; !ok || p.MayDecide(u, r) != nil {
			names = append(names, name)
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return " (" + names[0] + " cannot)"
	}
	last := len(names) - 1
	return " (" + strings.Join(names[:last], ", ") + " and " + names[last] + " cannot)"
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
