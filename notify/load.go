package notify

import (
	"context"
	"fmt"

	"github.com/jitgate/jitgate/grants"
)

// Reader loads the requests and grants that audit events name.
// *grants.Service is one.
type Reader interface {
	Request(ctx context.Context, id string) (grants.Request, error)
	Grant(ctx context.Context, id string) (grants.Grant, error)
}

// load builds the payload of audit event e, of kind k, with its request and,
// for grant events, its grant.
func load(ctx context.Context, rd Reader, e grants.Event, k kind) (Payload, error) {
	p := Payload{ID: eventID(e.Seq), Event: k.event, Time: e.At.UTC(), Actor: e.Actor}

	requestID := e.Subject
	if k.grant {
		g, err := rd.Grant(ctx, e.Subject)
		if err != nil {
			return Payload{}, fmt.Errorf("load grant of event %d: %w", e.Seq, err)
		}
		p.Grant = newGrantView(g)
		requestID = g.RequestID
	}

	r, err := rd.Request(ctx, requestID)
	if err != nil {
		return Payload{}, fmt.Errorf("load request of event %d: %w", e.Seq, err)
	}
	p.Request = newRequestView(r)
	if r.State == grants.RequestPending {
		p.Approval = newApproval(r.ID)
	}
	return p, nil
}
