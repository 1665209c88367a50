package ca

import "errors"

// Errors returned by this package. Callers use errors.Is; the text wrapped
// around each names the file, field or certificate that was wrong.
var (
	// ErrCAExists is returned by Init when any file of a CA already exists
	// under the directory; nothing is overwritten.
	ErrCAExists = errors.New("ca already exists")
	// ErrKeyPermissions is returned by Load when a private key file can be
	// read or written by its group or by others.
	ErrKeyPermissions = errors.New("private key file open to group or others")
	// ErrDirPermissions is returned by Load when the CA directory can be
	// written by its group or by others.
	ErrDirPermissions = errors.New("ca directory writable by group or others")
	// ErrBadCA is returned by Load when the CA files do not form a valid
	// root and intermediate for the trust domain.
	ErrBadCA = errors.New("invalid ca")
	// ErrBadCSR is returned when a certificate request cannot be parsed,
	// its signature does not verify, or its key is not accepted.
	ErrBadCSR = errors.New("bad certificate request")
	// ErrBadName is returned when a user name, grant ID, resource, trust
	// domain or server name is empty or has characters that are not allowed.
	ErrBadName = errors.New("bad name")
	// ErrBadClaims is returned when the claims to sign, or those a
	// certificate carries, are missing, repeated, malformed or expired.
	ErrBadClaims = errors.New("bad claims")
	// ErrNotOurs is returned by Verify when a certificate was not signed by
	// this CA's intermediate.
	ErrNotOurs = errors.New("certificate not signed by this ca")
	// ErrExpired is returned by Verify when a certificate of this CA is past
	// its NotAfter.
	ErrExpired = errors.New("certificate expired")
	// ErrNotYetValid is returned by Verify when a certificate of this CA is
	// before its NotBefore.
	ErrNotYetValid = errors.New("certificate not yet valid")
	// ErrWrongKind is returned when a certificate is not of the kind needed:
	// a CA or serving certificate presented as a client, or a kind that
	// Claims.RequireKind does not accept.
	ErrWrongKind = errors.New("wrong kind of certificate")
	// ErrBadFingerprint is returned by ParseFingerprint when its input is
	// not a SHA-256 fingerprint.
	ErrBadFingerprint = errors.New("bad fingerprint")
)
