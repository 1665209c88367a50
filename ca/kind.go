package ca

import (
	"crypto/x509"
	"fmt"
)

// Kind tells identity certificates from grant certificates.
type Kind string

// The kinds of client certificate jitgate signs.
const (
	KindIdentity Kind = "identity"
	KindGrant    Kind = "grant"
)

// jitgate's object identifier arc is 2.25 followed by the decimal value of
// UUID 1fcf6d3b-f4a7-4e92-b378-55f604e05e3b, as ITU-T X.667 allows anyone to
// mint without registration. A client certificate names its kind with
// exactly one certificate policy under that arc.
const (
	oidArc            = "2.25.42283088851874091811822279158392708667"
	identityPolicyOID = oidArc + ".1"
	grantPolicyOID    = oidArc + ".2"
)

var (
	identityPolicy = mustParseOID(identityPolicyOID)
	grantPolicy    = mustParseOID(grantPolicyOID)
)

func mustParseOID(s string) x509.OID {
	oid, err := x509.ParseOID(s)
	if err != nil {
		panic(fmt.Sprintf("parse oid %s: %v", s, err))
	}
	return oid
}

// policy returns the certificate policy that marks kind k.
func (k Kind) policy() x509.OID {
	if k == KindGrant {
		return grantPolicy
	}
	return identityPolicy
}

// kindOf reads the kind from the policies of a certificate: there must be
// exactly one, and it must be one of ours.
func kindOf(policies []x509.OID) (Kind, error) {
	if len(policies) != 1 {
		return "", fmt.Errorf("%w: %d certificate policies, want 1",
			ErrBadClaims, len(policies))
	}

	switch p := policies[0]; {
	case p.Equal(identityPolicy):
		return KindIdentity, nil
	case p.Equal(grantPolicy):
		return KindGrant, nil
	default:
		return "", fmt.Errorf("%w: unknown certificate policy %s", ErrBadClaims, p)
	}
}

// RequireKind returns nil when c is of kind k, and an error wrapping
// ErrWrongKind otherwise, so that each listener accepts only the kind that
// belongs to it.
func (c Claims) RequireKind(k Kind) error {
	if c.Kind != k {
		return fmt.Errorf("%w: %s certificate where %s is needed", ErrWrongKind, c.Kind, k)
	}
	return nil
}
