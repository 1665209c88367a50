package notify

// Log field keys, defined once so every line spells them alike.
const (
	keyWebhook  = "webhook"
	keyEvent    = "event"
	keyDelivery = "delivery"
	keyStatus   = "status"
	keyAttempt  = "attempt"
	keyRetryIn  = "retry_in"
	keyCursor   = "cursor"
)
