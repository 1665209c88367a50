// Package admin is jitgate's JSON admin API over mutual TLS, and the Go
// client the jitgate CLI speaks it through.
//
// The server authenticates each caller by an identity certificate signed by
// the jitgate CA, authorises them by role, and maps every endpoint onto one
// call of the grants Service. Enrolment and fetching the CA bundle are the
// only endpoints open without a client certificate.
//
// It must not hold business rules: who may decide which request, which state
// changes are allowed and what a resource's policy says all live in grants.
package admin
