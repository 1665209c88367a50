// Package grants owns users, access requests, grants and the rules that move
// them between states. It holds the Store interface with its SQL
// implementation (SQLite embedded, PostgreSQL for a fleet; the schema is
// versioned goose migrations), the Service that runs every state change in
// one transaction together with its audit event, and the Table that answers
// the proxy's inline grant check from a cache and a revocation set.
//
// It must not know about TLS listeners or HTTP: certificates reach it only as
// DER bytes through the Signer interface.
package grants
