// Package config reads and validates jitgate's configuration file: the trust
// domain, the data directory, the listen addresses, the protected resources,
// the webhooks and the store. Everything is checked before any listener opens, and
// every error names the key, the bad value and what would be accepted.
//
// Each resource's policy block is decoded key by key from the YAML nodes
// into a grants.Policy and checked by grants, so that its errors also say
// where the key is written: "jitgate.yaml:14:7: resources[db].policy.
// approvals: ...".
//
// It must not open listeners or stores; cmd wires what it describes.
package config
