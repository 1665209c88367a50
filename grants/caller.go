package grants

import (
	"context"
	"fmt"
	"time"
)

// Caller is the signed-in user a change is made for, as the admin API
// authenticated them: with an identity certificate issued at Issued, for an
// endpoint that needs Role (empty: any enrolled user).
type Caller struct {
	Name   string
	Issued time.Time
	Role   Role
}

type callerKey struct{}

// WithCaller returns ctx carrying c. Every change the Service makes under
// such a context first checks, in that change's own transaction, that c
// still stands: the user exists and is enabled, holds c.Role, and has not
// retired the identity certificate. A check made before the transaction
// could be overtaken by one committed meanwhile, such as a new enrolment
// token issued because the user's laptop was lost.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// callerOf returns the Caller ctx carries, if any.
func callerOf(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// checkCaller refuses, with ErrForbidden, a caller who no longer stands.
func checkCaller(tx Tx, c Caller) error {
	u, err := actingUser(tx, c.Name, c.Role)
	if err != nil {
		return err
	}
	if u.IdentityRetired(c.Issued) {
		return fmt.Errorf("identity certificate of %s was replaced by a newer one: %w",
			c.Name, ErrForbidden)
	}
	return nil
}
