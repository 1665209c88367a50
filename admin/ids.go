package admin

import (
	"net/http"
	"strings"

	"github.com/jitgate/jitgate/grants"
)

// idKind is a kind of object that endpoints take by ID in their path. The
// grants Service starts every ID with a prefix that says its kind.
type idKind struct {
	name   string
	prefix string
}

// The kinds of ID in paths.
var (
	requestID = idKind{name: "request", prefix: grants.RequestIDPrefix}
	grantID   = idKind{name: "grant", prefix: grants.GrantIDPrefix}
)

// idKinds lists every kind, to recognise an ID of the wrong one.
var idKinds = []idKind{requestID, grantID}

// takes wraps h, whose path holds an {id} of kind want, so that an ID of
// another kind is refused with a 400 before h reads or changes anything:
// a grant ID given to approve is a mix-up to point out, and answering it
// with 404 "request gr_..." leaves the caller to spot it. action names
// the endpoint in the message, as the CLI verb of the same name does; it
// is empty for an endpoint that only reads.
func takes(want idKind, action string, h userHandler) userHandler {
	return func(w http.ResponseWriter, r *http.Request, u grants.User) error {
		if err := checkIDKind(r.PathValue("id"), want, action); err != nil {
			return err
		}
		return h(w, r, u)
	}
}

// checkIDKind refuses id when its prefix is that of a kind other than
// want. An ID with no known prefix passes, to be looked up and not found.
func checkIDKind(id string, want idKind, action string) error {
	for _, k := range idKinds {
		if k == want || !strings.HasPrefix(id, k.prefix) {
			continue
		}
		if action == "" {
			return newError(http.StatusBadRequest, nil, "%q is a %s ID, not a %s ID (%s...)",
				id, k.name, want.name, want.prefix)
		}
		return newError(http.StatusBadRequest, nil, "%q is a %s ID; %s takes a %s ID (%s...)",
			id, k.name, action, want.name, want.prefix)
	}
	return nil
}
