// Package ca is jitgate's certificate authority. It owns the root and the
// signing intermediate, the three signing profiles (identity certificates for
// the admin API, grant certificates for the proxy, serving certificates for
// jitgate's own listeners through certmagic), the checks every CSR passes,
// and reading the claims a certificate it signed carries.
//
// It must not know about HTTP or about how grants are stored.
//
// # Files
//
// Init writes dir/ca/root.crt, root.key, intermediate.crt and
// intermediate.key: ECDSA P-256, the root for ten years, the intermediate
// for five and unable to sign further CAs. Keys are mode 0600 in a 0700
// directory, and Load refuses a key that its group or others may read or
// write.
//
// # Client certificates
//
// Identity and grant certificates are for client authentication only and
// name their kind with exactly one X.509 certificate policy under jitgate's
// arc, 2.25.42283088851874091811822279158392708667 (the UUID
// 1fcf6d3b-f4a7-4e92-b378-55f604e05e3b, per ITU-T X.667):
//
//	identity  2.25.42283088851874091811822279158392708667.1
//	grant     2.25.42283088851874091811822279158392708667.2
//
// Both carry the user as subject common name and as the URI SAN
// spiffe://<trust domain>/user/<user>. A grant certificate also carries
// urn:jitgate:grant:<grant ID> and urn:jitgate:resource:<resource>, so that
// `openssl x509 -text` shows who it is for and what it opens. Users, grant IDs
// and resources are made of A-Z a-z 0-9 . _ - only, which keeps these URIs
// unambiguous.
package ca
