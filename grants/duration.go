package grants

import (
	"strings"
	"time"
)

// FormatDuration writes d as time.Duration.String does, without the zero
// units at its end: "30m" rather than "30m0s", "2h" rather than "2h0m0s",
// so that a duration reads the same in the API, the audit trail, webhooks
// and error messages as it is written in a config file or on the CLI.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
