package grants

import (
	"slices"
	"time"
)

// Role is what a user may do. An admin may do everything an approver may.
type Role string

// The roles a user can hold.
const (
	RoleRequester Role = "requester"
	RoleApprover  Role = "approver"
	RoleAdmin     Role = "admin"
)

// User is a person known to jitgate.
type User struct {
	Name  string `json:"name"`
	Roles []Role `json:"roles"`
	// Groups are what policies name as group:NAME; sorted, each once.
	Groups    []string  `json:"groups"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	// EnrolledAt is when the user last redeemed an enrolment token; zero
	// until the first, and again from a new token until it is redeemed.
	// Identity certificates renew up to RenewalWindow after it.
	EnrolledAt time.Time `json:"enrolled_at,omitzero"`
	// IdentitySince is when the user's current identity certificate was
	// issued, to the second, as the certificate records it; those issued
	// before it are retired. Enrolment, renewal and a new enrolment token
	// move it on. Zero retires nothing.
	IdentitySince time.Time `json:"identity_since,omitzero"`
}

// IdentityRetired reports whether an identity certificate of u issued at
// issued has been retired: renewed since, or voided by a new enrolment
// token or a new enrolment.
func (u User) IdentityRetired(issued time.Time) bool {
	return issued.Before(u.IdentitySince)
}

// Has reports whether u holds role r, counting admin as every role.
func (u User) Has(r Role) bool {
	for _, have := range u.Roles {
		if have == r || have == RoleAdmin {
			return true
		}
	}
	return false
}

// InGroup reports whether u is a member of group.
func (u User) InGroup(group string) bool {
	return slices.Contains(u.Groups, group)
}

// RequestState is where an access request stands.
type RequestState string

// The states of a request: pending, then exactly one of the others.
const (
	RequestPending   RequestState = "pending"
	RequestApproved  RequestState = "approved"
	RequestDenied    RequestState = "denied"
	RequestExpired   RequestState = "expired"
	RequestCancelled RequestState = "cancelled"
)

// Verdict is one approver's answer to a request.
type Verdict string

// The verdicts an approver can give.
const (
	VerdictApprove Verdict = "approve"
	VerdictDeny    Verdict = "deny"
)

// Decision records one approver's verdict on a request.
type Decision struct {
	Approver string    `json:"approver"`
	Verdict  Verdict   `json:"verdict"`
	Comment  string    `json:"comment,omitempty"`
	At       time.Time `json:"at"`
}

// Request is a user's ask for access to one resource for a duration.
type Request struct {
	ID       string        `json:"id"`
	User     string        `json:"user"`
	Resource string        `json:"resource"`
	Duration time.Duration `json:"-"`
	Reason   string        `json:"reason"`
	// Ticket is the change or incident reference given with the request;
	// empty when none was.
	Ticket string `json:"ticket,omitempty"`
	// CSR is the DER certificate request whose key the grant certificate
	// will certify. The private key stays on the requester's machine.
	CSR       []byte       `json:"-"`
	State     RequestState `json:"state"`
	CreatedAt time.Time    `json:"created_at"`
	// DecidedAt is when the request left pending; zero while pending.
	DecidedAt time.Time  `json:"decided_at,omitzero"`
	Decisions []Decision `json:"decisions"`
	// GrantID names the grant an approval created; empty otherwise.
	GrantID string `json:"grant_id,omitempty"`
	// Rule names the auto-approval rule that approved the request, or is
	// RuleAlways; empty when people approved it or it is not approved.
	Rule string `json:"rule,omitempty"`
	// Notes are the policy's reasons for what it decided when the request
	// was made, one sentence each.
	Notes []string `json:"notes"`
}

// GrantState is where a grant stands. Only an active grant lets traffic
// through.
type GrantState string

// The states of a grant: active, then exactly one of the others.
const (
	GrantActive   GrantState = "active"
	GrantExpired  GrantState = "expired"
	GrantRevoked  GrantState = "revoked"
	GrantReleased GrantState = "released"
)

// Grant is an approved request: access to one resource for one user between
// NotBefore and NotAfter, unless it ends early.
type Grant struct {
	ID        string     `json:"id"`
	RequestID string     `json:"request_id"`
	User      string     `json:"user"`
	Resource  string     `json:"resource"`
	NotBefore time.Time  `json:"not_before"`
	NotAfter  time.Time  `json:"not_after"`
	State     GrantState `json:"state"`
	// EndedAt, EndedBy and EndReason say how a grant that is no longer
	// active ended; zero while active. EndedBy is empty for expiry.
	EndedAt   time.Time `json:"ended_at,omitzero"`
	EndedBy   string    `json:"ended_by,omitempty"`
	EndReason string    `json:"end_reason,omitempty"`
	// Rule names the auto-approval rule that approved the grant; empty
	// when people approved it.
	Rule string `json:"rule,omitempty"`
	// MaxSessions is how many connections the grant allows in all; zero
	// means no limit. Sessions counts those made so far.
	MaxSessions int `json:"max_sessions,omitempty"`
	Sessions    int `json:"sessions"`
	// IdleTimeout ends the grant after no traffic for that long; zero
	// means never.
	IdleTimeout time.Duration `json:"-"`
	// LastActive is the last traffic known to the store, for idle grants;
	// zero until there was some.
	LastActive time.Time `json:"last_active,omitzero"`
	// Certificate is the DER grant certificate signed at approval.
	Certificate []byte `json:"-"`
}

// Event is one entry of the audit trail.
type Event struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	// Subject is the ID or name the action was taken on.
	Subject string `json:"subject"`
	Detail  string `json:"detail,omitempty"`
}
