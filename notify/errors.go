package notify

import "errors"

// Errors returned by Verify. Callers use errors.Is.
var (
	// ErrMalformed is returned when the signature or timestamp header is
	// missing or cannot be parsed.
	ErrMalformed = errors.New("malformed webhook signature headers")
	// ErrStale is returned when the timestamp is further than MaxSkew from
	// the receiver's clock, which is how a replayed delivery is refused.
	ErrStale = errors.New("webhook timestamp outside the allowed skew")
	// ErrSignature is returned when no v1 signature matches the body.
	ErrSignature = errors.New("webhook signature does not match")
)

// ErrWeakSecret is returned when a webhook's signing secret is empty or
// shorter than MinSecretLength.
var ErrWeakSecret = errors.New("webhook secret too short")

// ErrSecretPermissions is returned when a webhook's secret file can be read
// or written by its group or by others.
var ErrSecretPermissions = errors.New("webhook secret file open to group or others")

// errLeaseLost is returned when another process holds a webhook's lease, so
// this one must not deliver it.
var errLeaseLost = errors.New("webhook lease held by another process")
