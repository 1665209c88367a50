package grants

import (
	"errors"
	"fmt"
)

// Errors returned by the Service and the Store. Callers use errors.Is.
var (
	// ErrNotFound is returned when a user, token, request or grant does not
	// exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a change needs a state the object is no
	// longer in: deciding a request that is not pending, ending a grant that
	// is not active, adding a user that exists.
	ErrConflict = errors.New("conflict")
	// ErrForbidden is returned when the actor may not make this change:
	// approving their own request, releasing someone else's grant.
	ErrForbidden = errors.New("forbidden")
)

// Reasons the inline grant check refuses a connection. Each is a fixed value
// so that a refusal costs no allocation; Reason names it for metrics.
var (
	// ErrUnknownGrant is returned when no grant has the certificate's ID.
	ErrUnknownGrant = errors.New("unknown grant")
	// ErrWrongResource is returned when the grant is for another resource.
	ErrWrongResource = errors.New("grant is for another resource")
	// ErrWrongUser is returned when the grant belongs to another user.
	ErrWrongUser = errors.New("grant belongs to another user")
	// ErrNotYetValid is returned before the grant's NotBefore.
	ErrNotYetValid = errors.New("grant not yet valid")
	// ErrGrantExpired is returned at or after the grant's NotAfter.
	ErrGrantExpired = errors.New("grant expired")
	// ErrGrantRevoked is returned when the grant was revoked.
	ErrGrantRevoked = errors.New("grant revoked")
	// ErrGrantReleased is returned when the grant was handed back.
	ErrGrantReleased = errors.New("grant released")
	// ErrSessionLimit is returned by OpenSession when the grant's
	// MaxSessions connections have all been made.
	ErrSessionLimit = errors.New("grant has no session left")
	// ErrStoreUnavailable is returned when the cache has no answer and the
	// store cannot be read; the check fails closed.
	ErrStoreUnavailable = errors.New("grant store unavailable")
)

// InputError is returned when a caller's input is invalid. Field names what
// was wrong, Problem says how.
type InputError struct {
	Field   string
	Problem string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Problem)
}

// Reason returns a short snake_case label for a check refusal, for metrics
// and logs: "unknown_grant", "revoked", "session_limit" and so on, or
// "other".
func Reason(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrUnknownGrant):
		return "unknown_grant"
	case errors.Is(err, ErrWrongResource):
		return "wrong_resource"
	case errors.Is(err, ErrWrongUser):
		return "wrong_user"
	case errors.Is(err, ErrNotYetValid):
		return "not_yet_valid"
	case errors.Is(err, ErrGrantExpired):
		return "expired"
	case errors.Is(err, ErrGrantRevoked):
		return "revoked"
	case errors.Is(err, ErrGrantReleased):
		return "released"
	case errors.Is(err, ErrSessionLimit):
		return "session_limit"
	case errors.Is(err, ErrStoreUnavailable):
		return "store_unavailable"
	}
	return "other"
}
