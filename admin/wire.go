package admin

import "github.com/jitgate/jitgate/grants"

// The JSON bodies the server reads and the client writes.
type (
	enrolBody struct {
		Token string `json:"token"`
		CSR   string `json:"csr"`
	}
	renewBody struct {
		CSR string `json:"csr"`
	}
	addUserBody struct {
		Name   string        `json:"name"`
		Roles  []grants.Role `json:"roles"`
		Groups []string      `json:"groups,omitempty"`
	}
	// updateUserBody changes the fields that are present.
	updateUserBody struct {
		Roles  *[]grants.Role `json:"roles,omitempty"`
		Groups *[]string      `json:"groups,omitempty"`
	}
	createRequestBody struct {
		Resource string `json:"resource"`
		Duration string `json:"duration"`
		Reason   string `json:"reason"`
		Ticket   string `json:"ticket,omitempty"`
		CSR      string `json:"csr"`
	}
	approveBody struct {
		Comment string `json:"comment"`
	}
	// reasonBody is the body of deny and revoke.
	reasonBody struct {
		Reason string `json:"reason"`
	}
	// emptyBody is the body of endpoints that take no fields; decoding into
	// it still refuses unknown ones.
	emptyBody struct{}
)

// The JSON bodies the server writes and the client reads, besides the
// exported views.
type (
	caBody struct {
		Bundle          string `json:"bundle"`
		RootFingerprint string `json:"root_fingerprint"`
	}
	enrolmentBody struct {
		Certificate string   `json:"certificate"`
		CA          string   `json:"ca"`
		User        UserView `json:"user"`
	}
	grantCertificateBody struct {
		Certificate string    `json:"certificate"`
		CA          string    `json:"ca"`
		Grant       GrantView `json:"grant"`
	}
	newUserBody struct {
		User  UserView `json:"user"`
		Token string   `json:"token"`
	}
	tokenBody struct {
		Token string `json:"token"`
	}
)
