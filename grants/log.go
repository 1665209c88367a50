package grants

// Log field keys, defined once so every line spells them alike.
const (
	keyGrant    = "grant_id"
	keyRequest  = "request_id"
	keyUser     = "user"
	keyResource = "resource"
	keyState    = "state"
	keyRule     = "rule"
	keyReason   = "reason"
	keySeq      = "seq"
	keyRetryIn  = "retry_in"

	keyResources = "resources"

	keyExpiredRequests = "expired_requests"
	keyExpiredGrants   = "expired_grants"
	keyIdleGrants      = "idle_grants"
)
