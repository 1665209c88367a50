// Package notify delivers audit events to webhook receivers: a request
// created, approved, denied, expired or cancelled, a grant revoked, released
// or ended. It owns the mapping from audit actions to webhook events, the
// JSON and Slack payloads, the HMAC-SHA256 signature and its reference check
// (Verify), and one delivery loop per webhook.
//
// The queue is the audit trail itself. Each webhook keeps a cursor in the
// store, the Seq of the last event it handled, so delivery resumes where it
// stopped after a restart and never holds up the transaction that made the
// decision: a decision commits its audit event and returns; a webhook's loop
// finds the event later. Delivery is at least once: an event whose 2xx
// arrived but whose cursor was not yet saved is sent again after a restart,
// so receivers deduplicate on the event ID. A failing receiver is retried
// with capped exponential backoff for as long as it fails, and later events
// for it wait in order: an audit feed never drops an event silently.
//
// Replicas that share a store (PostgreSQL) share out the webhooks: each
// webhook is delivered only by the replica holding its lease in the store,
// renewed while it delivers, given up when it stops, and taken over by
// another replica when its holder stops or vanishes. A single process
// (SQLite) needs no lease.
//
// It must not change the state of users, requests or grants: it reads them,
// and it writes only its own cursors and leases.
package notify
