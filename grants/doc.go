// Package grants owns users, access requests, grants and the rules that move
// them between states. It holds the Store interface with its SQL
// implementation (SQLite embedded, PostgreSQL for a fleet; the schema is
// versioned goose migrations), the Service that runs every state change in
// one transaction together with its audit event, and the Table that answers
// the proxy's inline grant check from a cache and a revocation set, counts
// the sessions of grants that limit them and notes their traffic. On a
// PostgreSQL store that several replicas share, a Feed on each brings the
// others' grant changes into its Table (LISTEN/NOTIFY, with catch-up from
// the audit trail), and leases share out jobs only one may do.
//
// Each resource has a Policy: who may request it, for how long, what a
// request must carry, who approves and how many, and when requests are
// approved automatically. Evaluate applies a policy to a new request as a
// pure function of the policy, the requester, the request and the time;
// the Service stores what it decides.
//
// It must not know about TLS listeners or HTTP: certificates reach it only as
// DER bytes through the Signer interface.
package grants
