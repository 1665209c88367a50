// Package ca is jitgate's certificate authority. It owns the root and the
// signing intermediate, the three signing profiles (identity certificates for
// the admin API, grant certificates for the proxy, serving certificates for
// jitgate's own listeners through certmagic), the checks every CSR passes,
// and reading the claims a certificate it signed carries.
//
// It must not know about HTTP or about how grants are stored.
package ca
