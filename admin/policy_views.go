package admin

import "github.com/jitgate/jitgate/grants"

// The values of PolicyView.AutoApprove.
const (
	autoNever  = "never"
	autoAlways = "always"
	autoRules  = "rules"
)

// PolicyView is a resource's policy as the admin API shows it, with every
// default applied. Durations are strings such as "30m" or "8h".
type PolicyView struct {
	// Requesters may request the resource; empty means every requester.
	Requesters []string `json:"requesters"`
	// MaxDuration is the longest grant; Cap says whether a longer request
	// is shortened to it rather than refused.
	MaxDuration string `json:"max_duration"`
	Cap         bool   `json:"cap"`
	// RequireReason says whether a request must give a reason.
	RequireReason bool `json:"require_reason"`
	// TicketPattern, when not empty, makes a ticket required, matching it.
	TicketPattern string `json:"ticket_pattern,omitempty"`
	// Approvals are needed from Approvers (empty means any approver) when
	// no rule approves a request.
	Approvals int      `json:"approvals"`
	Approvers []string `json:"approvers"`
	// AutoApprove is "never", "always" or "rules", the Rules then applying
	// in order.
	AutoApprove string     `json:"auto_approve"`
	Rules       []RuleView `json:"rules,omitempty"`
	// PendingTTL is how long a request waits for a decision.
	PendingTTL string `json:"pending_ttl"`
	// MaxSessions and IdleTimeout are the conditions of the grants;
	// left out when there are none.
	MaxSessions int    `json:"max_sessions,omitempty"`
	IdleTimeout string `json:"idle_timeout,omitempty"`
}

// RuleView is one automatic approval rule; conditions left out always
// hold.
type RuleView struct {
	Name        string   `json:"name"`
	Requesters  []string `json:"requesters,omitempty"`
	MaxDuration string   `json:"max_duration,omitempty"`
	Window      string   `json:"window,omitempty"`
	Ticket      bool     `json:"ticket,omitempty"`
}

// PolicyViewOf returns the view of p, as GET /v1/resources shows it.
func PolicyViewOf(p grants.Policy) PolicyView {
	v := PolicyView{
		Requesters:    principalNames(p.Requesters),
		MaxDuration:   grants.FormatDuration(p.Limit()),
		Cap:           p.Cap,
		RequireReason: !p.ReasonOptional,
		Approvals:     p.Required(),
		Approvers:     principalNames(p.Approvers),
		AutoApprove:   autoNever,
		PendingTTL:    grants.FormatDuration(p.TTL()),
		MaxSessions:   p.MaxSessions,
		IdleTimeout:   optionalDuration(p.IdleTimeout),
	}
	if p.TicketPattern != nil {
		v.TicketPattern = p.TicketPattern.String()
	}

	switch {
	case p.AutoApprove.Always:
		v.AutoApprove, v.Approvals, v.Approvers = autoAlways, 0, []string{}
	case len(p.AutoApprove.Rules) > 0:
		v.AutoApprove = autoRules
		v.Rules = views(p.AutoApprove.Rules, ruleView)
	}
	return v
}

func ruleView(r grants.Rule) RuleView {
	v := RuleView{
		Name:        r.Name,
		Requesters:  principalNames(r.Requesters),
		MaxDuration: optionalDuration(r.MaxDuration),
		Ticket:      r.Ticket,
	}
	if r.Window != nil {
		v.Window = r.Window.String()
	}
	return v
}

// principalNames returns ps as strings, never nil.
func principalNames(ps []grants.Principal) []string {
	return views(ps, func(p grants.Principal) string { return string(p) })
}
