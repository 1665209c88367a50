package notify

import (
	"time"

	"github.com/jitgate/jitgate/grants"
)

// Payload is the body of a delivery in FormatJSON. Request and Grant are
// the objects as they stand when the event is delivered, which can be after
// later events: Event says what happened, State what holds now.
type Payload struct {
	// ID is "evt_" and the audit event's Seq; the same on every attempt.
	ID    string    `json:"id"`
	Event string    `json:"event"`
	Time  time.Time `json:"time"`
	// Actor is who caused the event: a user name, or "system" for expiry.
	Actor   string       `json:"actor"`
	Request *RequestView `json:"request,omitempty"`
	Grant   *GrantView   `json:"grant,omitempty"`
	// Approval is set while the request is pending.
	Approval *Approval `json:"approval,omitempty"`
}

// RequestView is a request in a payload.
type RequestView struct {
	ID       string `json:"id"`
	User     string `json:"user"`
	Resource string `json:"resource"`
	// Duration is a Go duration string, such as "1h0m0s".
	Duration  string         `json:"duration"`
	Reason    string         `json:"reason"`
	State     string         `json:"state"`
	CreatedAt time.Time      `json:"created_at"`
	DecidedAt time.Time      `json:"decided_at,omitzero"`
	Decisions []DecisionView `json:"decisions"`
	GrantID   string         `json:"grant_id,omitempty"`
}

// DecisionView is one approver's verdict in a RequestView.
type DecisionView struct {
	Approver string    `json:"approver"`
	Verdict  string    `json:"verdict"`
	Comment  string    `json:"comment,omitempty"`
	At       time.Time `json:"at"`
}

// GrantView is a grant in a payload. The certificate is left out.
type GrantView struct {
	ID        string    `json:"id"`
	RequestID string    `json:"request_id"`
	User      string    `json:"user"`
	Resource  string    `json:"resource"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	State     string    `json:"state"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	EndedBy   string    `json:"ended_by,omitempty"`
	EndReason string    `json:"end_reason,omitempty"`
}

// Approval tells an approver how to act on a pending request.
type Approval struct {
	// Approve and Deny are the jitgate commands that decide the request.
	Approve string `json:"approve"`
	Deny    string `json:"deny"`
}

func newRequestView(r grants.Request) *RequestView {
	v := &RequestView{
		ID:        r.ID,
		User:      r.User,
		Resource:  r.Resource,
		Duration:  grants.FormatDuration(r.Duration),
		Reason:    r.Reason,
		State:     string(r.State),
		CreatedAt: r.CreatedAt,
		DecidedAt: r.DecidedAt,
		Decisions: make([]DecisionView, 0, len(r.Decisions)),
		GrantID:   r.GrantID,
	}
	for _, d := range r.Decisions {
		v.Decisions = append(v.Decisions, DecisionView{
			Approver: d.Approver, Verdict: string(d.Verdict), Comment: d.Comment, At: d.At,
		})
	}
	return v
}

func newGrantView(g grants.Grant) *GrantView {
	return &GrantView{
		ID:        g.ID,
		RequestID: g.RequestID,
		User:      g.User,
		Resource:  g.Resource,
		NotBefore: g.NotBefore,
		NotAfter:  g.NotAfter,
		State:     string(g.State),
		EndedAt:   g.EndedAt,
		EndedBy:   g.EndedBy,
		EndReason: g.EndReason,
	}
}

func newApproval(requestID string) *Approval {
	return &Approval{
		Approve: "jitgate approve " + requestID,
		Deny:    "jitgate deny " + requestID + " --reason TEXT",
	}
}

// resource is the resource the payload is about.
func (p *Payload) resource() string {
	switch {
	case p.Request != nil:
		return p.Request.Resource
	case p.Grant != nil:
		return p.Grant.Resource
	}
	return ""
}
