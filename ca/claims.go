package ca

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Claims is what a client certificate signed by this CA says.
type Claims struct {
	Kind Kind
	User string
	// GrantID and Resource are set for grant certificates only.
	GrantID  string
	Resource string
	NotAfter time.Time
}

// GrantClaims is what a grant certificate is signed for.
type GrantClaims struct {
	User     string
	GrantID  string
	Resource string
	NotAfter time.Time
}

// check returns an error unless every name is valid and NotAfter is after
// now.
func (c GrantClaims) check(now time.Time) error {
	if err := checkNames(c.User, c.GrantID, c.Resource); err != nil {
		return err
	}

	if !c.NotAfter.After(now) {
		return fmt.Errorf("%w: grant ends at %s, not after now (%s)", ErrBadClaims,
			c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

func checkNames(user, grantID, resource string) error {
	if err := checkName("user", user); err != nil {
		return err
	}
	if err := checkName("grant id", grantID); err != nil {
		return err
	}
	return checkName("resource", resource)
}

// uriClaims holds the names read out of the URI SANs of a certificate.
type uriClaims struct {
	users     []string
	grants    []string
	resources []string
}

// ReadClaims reads the claims of a certificate signed by a CA of
// trustDomain, without verifying its signature.
func ReadClaims(cert *x509.Certificate, trustDomain string) (Claims, error) {
	if cert == nil {
		return Claims{}, fmt.Errorf("%w: no certificate", ErrBadClaims)
	}

	kind, err := kindOf(cert.Policies)
	if err != nil {
		return Claims{}, err
	}

	if n := len(cert.DNSNames) + len(cert.IPAddresses) + len(cert.EmailAddresses); n > 0 {
		return Claims{}, fmt.Errorf("%w: client certificate has %d dns, ip or email names",
			ErrBadClaims, n)
	}

	uris, err := readURIs(cert.URIs, trustDomain)
	if err != nil {
		return Claims{}, err
	}

	claims := Claims{Kind: kind, NotAfter: cert.NotAfter}
	if err := uris.fill(&claims); err != nil {
		return Claims{}, err
	}
	return claims, nil
}

// fill sets the names of c from names, refusing any name that is missing or
// repeated, and grant names on an identity certificate.
func (names uriClaims) fill(c *Claims) error {
	var err error
	if c.User, err = single("user", names.users); err != nil {
		return err
	}

	if c.Kind == KindIdentity {
		if len(names.grants)+len(names.resources) > 0 {
			return fmt.Errorf("%w: identity certificate names a grant or resource",
				ErrBadClaims)
		}
		return nil
	}

	if c.GrantID, err = single("grant", names.grants); err != nil {
		return err
	}
	c.Resource, err = single("resource", names.resources)
	return err
}

func single(field string, values []string) (string, error) {
	if len(values) != 1 {
		return "", fmt.Errorf("%w: %d %s uris, want 1", ErrBadClaims, len(values), field)
	}
	return values[0], nil
}

// readURIs sorts the URI SANs of a certificate into users, grants and
// resources. Any URI that is not exactly one of our forms is refused.
func readURIs(uris []*url.URL, trustDomain string) (uriClaims, error) {
	var claims uriClaims
	for _, u := range uris {
		if err := claims.add(u, trustDomain); err != nil {
			return uriClaims{}, err
		}
	}
	return claims, nil
}

func (names *uriClaims) add(u *url.URL, trustDomain string) error {
	switch {
	case u.Scheme == spiffeScheme:
		return addName(&names.users, u, "user", strings.TrimPrefix(u.Path, userPathPrefix),
			func(name string) *url.URL { return userURI(trustDomain, name) })
	case u.Scheme == urnScheme && strings.HasPrefix(u.Opaque, grantURNPrefix):
		return addName(&names.grants, u, "grant id",
			strings.TrimPrefix(u.Opaque, grantURNPrefix), grantURI)
	case u.Scheme == urnScheme && strings.HasPrefix(u.Opaque, resURNPrefix):
		return addName(&names.resources, u, "resource",
			strings.TrimPrefix(u.Opaque, resURNPrefix), resourceURI)
	}
	return fmt.Errorf("%w: unexpected uri %q", ErrBadClaims, u)
}

// addName appends name to list when it is valid and u is exactly the URI
// that canonical makes of it; this refuses other trust domains, ports,
// queries, fragments and escapes.
func addName(list *[]string, u *url.URL, field, name string,
	canonical func(string) *url.URL) error {
	if err := checkName(field, name); err != nil {
		return fmt.Errorf("%w: uri %q: %w", ErrBadClaims, u, err)
	}

	if canonical(name).String() != u.String() {
		return fmt.Errorf("%w: uri %q is not of the form %q", ErrBadClaims, u,
			canonical(name))
	}

	*list = append(*list, name)
	return nil
}
