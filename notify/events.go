package notify

import (
	"slices"
	"strconv"
)

// The webhook events, named for what happened.
const (
	RequestCreated   = "request.created"
	RequestApproved  = "request.approved"
	RequestDenied    = "request.denied"
	RequestExpired   = "request.expired"
	RequestCancelled = "request.cancelled"
	GrantRevoked     = "grant.revoked"
	GrantReleased    = "grant.released"
	GrantEnded       = "grant.ended"
)

// kind is what one audit action becomes on a webhook.
type kind struct {
	event string
	// grant is set when the audit event's subject is a grant ID; it is a
	// request ID otherwise.
	grant bool
}

// kinds maps the audit actions of the grants package to webhook events.
// Actions missing here (users, enrolment) are not sent. A request needing
// two approvers has two request.approve actions but one grant.activate: the
// approval that completed it, and the one approvers and requesters care
// about.
var kinds = map[string]kind{
	"request.create": {event: RequestCreated},
	"grant.activate": {event: RequestApproved, grant: true},
	"request.deny":   {event: RequestDenied},
	"request.expire": {event: RequestExpired},
	"request.cancel": {event: RequestCancelled},
	"grant.revoke":   {event: GrantRevoked, grant: true},
	"grant.release":  {event: GrantReleased, grant: true},
	"grant.expire":   {event: GrantEnded, grant: true},
}

// EventNames returns every webhook event name, sorted.
func EventNames() []string {
	names := make([]string, 0, len(kinds))
	for _, k := range kinds {
		names = append(names, k.event)
	}
	slices.Sort(names)
	return names
}

func knownEvent(name string) bool {
	for _, k := range kinds {
		if k.event == name {
			return true
		}
	}
	return false
}

// eventID names a delivery by its audit event, so every attempt and every
// webhook carries the same ID for the same event.
func eventID(seq int64) string {
	return "evt_" + strconv.FormatInt(seq, 10)
}
