package ca

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxNameLen bounds user names, grant IDs and resources so that the
// certificates carrying them stay small.
const maxNameLen = 128

// maxTrustDomainLen is the longest DNS name, which a trust domain looks like.
const maxTrustDomainLen = 253

// URI forms of the claims a client certificate carries. Names are made of
// unreserved URI characters only, so each URI reads back unambiguously.
const (
	spiffeScheme   = "spiffe"
	userPathPrefix = "/user/"
	urnScheme      = "urn"
	grantURNPrefix = "jitgate:grant:"
	resURNPrefix   = "jitgate:resource:"
)

// checkName returns an error wrapping ErrBadName unless s is a non-empty
// name of at most maxNameLen characters from [A-Za-z0-9._-]. The names "."
// and ".." are refused because they are path elements.
func checkName(field, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: %s is empty", ErrBadName, field)
	case len(s) > maxNameLen:
		return fmt.Errorf("%w: %s is %d bytes long; at most %d allowed",
			ErrBadName, field, len(s), maxNameLen)
	case s == "." || s == "..":
		return fmt.Errorf("%w: %s %q is a path element", ErrBadName, field, s)
	}

	if i := strings.IndexFunc(s, notNameRune); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Errorf("%w: %s %q has %q; only A-Z a-z 0-9 . _ - allowed",
			ErrBadName, field, s, r)
	}
	return nil
}

func notNameRune(r rune) bool {
	return !isLowerOrDigit(r) && (r < 'A' || r > 'Z') && !isPunct(r)
}

// checkTrustDomain returns an error wrapping ErrBadName unless s is a
// trust domain as SPIFFE defines it: lower-case letters, digits, '.', '-'
// and '_'.
func checkTrustDomain(s string) error {
	if s == "" || len(s) > maxTrustDomainLen {
		return fmt.Errorf("%w: trust domain must be 1 to %d characters",
			ErrBadName, maxTrustDomainLen)
	}

	if i := strings.IndexFunc(s, notTrustDomainRune); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Errorf("%w: trust domain %q has %q; only a-z 0-9 . _ - allowed",
			ErrBadName, s, r)
	}
	return nil
}

func notTrustDomainRune(r rune) bool {
	return !isLowerOrDigit(r) && !isPunct(r)
}

func isLowerOrDigit(r rune) bool {
	return ('a' <= r && r <= 'z') || ('0' <= r && r <= '9')
}

func isPunct(r rune) bool {
	return r == '.' || r == '_' || r == '-'
}

// userURI returns spiffe://<trustDomain>/user/<user>.
func userURI(trustDomain, user string) *url.URL {
	return &url.URL{Scheme: spiffeScheme, Host: trustDomain, Path: userPathPrefix + user}
}

// grantURI returns urn:jitgate:grant:<id>.
func grantURI(id string) *url.URL {
	return &url.URL{Scheme: urnScheme, Opaque: grantURNPrefix + id}
}

// resourceURI returns urn:jitgate:resource:<resource>.
func resourceURI(resource string) *url.URL {
	return &url.URL{Scheme: urnScheme, Opaque: resURNPrefix + resource}
}
