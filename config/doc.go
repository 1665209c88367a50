// Package config reads and validates jitgate's configuration file: the trust
// domain, the data directory, the listen addresses, the protected resources
// and the webhooks. Everything is checked before any listener opens, and
// every error names the key, the bad value and what would be accepted.
//
// It must not open listeners or stores; cmd wires what it describes.
package config
