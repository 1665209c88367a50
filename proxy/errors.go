package proxy

import (
	"errors"
	"fmt"

	"github.com/jitgate/jitgate/ca"
)

// Errors returned by New, Listen and Serve. Callers use errors.Is.
var (
	// ErrInvalidConfig is returned by New when the Config cannot run; the
	// message names the field and the value at fault.
	ErrInvalidConfig = errors.New("invalid proxy config")
	// ErrAlreadyListening is returned by Listen when the listeners are open.
	ErrAlreadyListening = errors.New("proxy already listening")
)

// Reasons a handshake is refused, as metric labels. The check errors of the
// grants package add their own labels through grants.Reason.
const (
	reasonOK              = "ok"
	reasonNoCert          = "no_cert"
	reasonForeignCA       = "foreign_ca"
	reasonExpiredCert     = "expired_cert"
	reasonCertNotYetValid = "cert_not_yet_valid"
	reasonIdentityCert    = "identity_cert"
	reasonUnknownResource = "unknown_resource"
	reasonWrongResource   = "wrong_resource"
	// reasonHandshake covers handshakes that failed before the inline check
	// could decide: a client that hung up, a timeout, a bad signature.
	reasonHandshake = "handshake_error"
	// reasonBusy: too many handshakes in progress, in all or from the
	// client's address; the connection was closed unread.
	reasonBusy = "busy"
)

// denial is the error VerifyConnection returns when it refuses a client. Its
// text reaches only jitgate's own log: crypto/tls sends the client a
// bad_certificate alert whatever the reason.
type denial struct {
	reason string
	// claims holds what the certificate said, when it was read.
	claims ca.Claims
	cause  error
}

func (d *denial) Error() string {
	if d.cause == nil {
		return "access denied: " + d.reason
	}
	return fmt.Sprintf("access denied: %s: %v", d.reason, d.cause)
}

func (d *denial) Unwrap() error { return d.cause }
