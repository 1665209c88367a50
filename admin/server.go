package admin

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
)

// Config configures the admin API handler.
type Config struct {
	// Service runs every change; required.
	Service *grants.Service
	// Authority verifies client certificates and signs identity
	// certificates; required.
	Authority *ca.Authority
	// Resources say where each resource is reached, by name; their Policy
	// is ignored, GET /v1/resources shows the Service's. A resource of the
	// Service not listed here is shown without an address.
	Resources []ResourceInfo
	// Logger receives one access log line per request; nil means none.
	Logger *zap.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// server holds what the handlers share. It is safe for concurrent use.
type server struct {
	svc       *grants.Service
	ca        *ca.Authority
	resources map[string]ResourceInfo
	log       *zap.Logger
	now       func() time.Time
	mux       *http.ServeMux
	// crossOrigin refuses what a browser sends on behalf of another site,
	// with the client certificate a user loaded into it.
	crossOrigin *http.CrossOriginProtection
}

// NewHandler returns the admin API. Serve it over TLS with TLSConfig, so
// that client certificates reach it verified.
func NewHandler(c Config) (http.Handler, error) {
	if c.Service == nil {
		return nil, errors.New("admin: config has no Service")
	}
	if c.Authority == nil {
		return nil, errors.New("admin: config has no Authority")
	}

	s := &server{
		svc:       c.Service,
		ca:        c.Authority,
		resources: make(map[string]ResourceInfo, len(c.Resources)),
		log:       zap.NewNop(),
		now:       time.Now,
		mux:       http.NewServeMux(),

		crossOrigin: http.NewCrossOriginProtection(),
	}
	if c.Logger != nil {
		s.log = c.Logger.Named("admin")
	}
	if c.Now != nil {
		s.now = c.Now
	}
	for _, r := range c.Resources {
		s.resources[r.Name] = r
	}
	s.routes()
	return s, nil
}

// routes registers every endpoint with the role it needs; the empty role
// means any enrolled, enabled user.
func (s *server) routes() {
	s.open("GET /v1/ca", s.getCA)
	s.open("POST /v1/enroll", s.enrol)

	s.user("POST /v1/renew", "", s.renew)
	s.user("GET /v1/whoami", "", s.whoami)
	s.user("GET /v1/resources", "", s.listResources)

	s.user("POST /v1/users", grants.RoleAdmin, s.addUser)
	s.user("GET /v1/users", grants.RoleAdmin, s.listUsers)
	s.user("PATCH /v1/users/{name}", grants.RoleAdmin, s.updateUser)
	s.user("POST /v1/users/{name}/disable", grants.RoleAdmin, s.disableUser)
	s.user("POST /v1/users/{name}/token", grants.RoleAdmin, s.newToken)

	s.user("POST /v1/requests", grants.RoleRequester, s.createRequest)
	s.user("GET /v1/requests", "", s.listRequests)
	s.user("GET /v1/requests/{id}", "", takes(requestID, "", s.getRequest))
	s.user("POST /v1/requests/{id}/approve", grants.RoleApprover,
		takes(requestID, "approve", s.approve))
	s.user("POST /v1/requests/{id}/deny", grants.RoleApprover,
		takes(requestID, "deny", s.deny))
	s.user("POST /v1/requests/{id}/cancel", "", takes(requestID, "cancel", s.cancel))
	s.user("GET /v1/requests/{id}/certificate", "", takes(requestID, "", s.certificate))

	s.user("GET /v1/grants", "", s.listGrants)
	s.user("GET /v1/grants/{id}", "", takes(grantID, "", s.getGrant))
	s.user("POST /v1/grants/{id}/revoke", grants.RoleAdmin,
		takes(grantID, "revoke", s.revoke))
	s.user("POST /v1/grants/{id}/release", "", takes(grantID, "release", s.release))

	s.user("GET /v1/audit", grants.RoleAdmin, s.audit)
}

// openHandler answers an endpoint that needs no client certificate.
type openHandler func(w http.ResponseWriter, r *http.Request) error

// userHandler answers an endpoint for the authenticated user u.
type userHandler func(w http.ResponseWriter, r *http.Request, u grants.User) error

// open registers an endpoint that needs no client certificate.
func (s *server) open(pattern string, h openHandler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// user registers an endpoint for callers holding role, or any enrolled
// user when role is empty.
func (s *server) user(pattern string, role grants.Role, h userHandler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		u, err := s.authenticate(r)
		if err == nil {
			entryOf(r.Context()).user = u.Name
			err = authorise(u, role)
		}
		if err == nil {
			err = h(w, r.WithContext(callerContext(r, u, role)), u)
		}
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

// callerContext returns r's context carrying u as the caller of an
// endpoint that needs role, so that the Service checks again, inside each
// change it makes, what authenticate and authorise found.
func callerContext(r *http.Request, u grants.User, role grants.Role) context.Context {
	return grants.WithCaller(r.Context(), grants.Caller{
		Name:   u.Name,
		Issued: ca.IssuedAt(r.TLS.PeerCertificates[0]),
		Role:   role,
	})
}

// ServeHTTP routes r and writes its access log line.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	entry := &logEntry{}
	r = r.WithContext(context.WithValue(r.Context(), entryKey{}, entry))
	sw := &statusWriter{ResponseWriter: w}

	if err := s.crossOrigin.Check(r); err != nil {
		s.fail(sw, r, newError(http.StatusForbidden, err,
			"cross-origin request refused: the admin API answers its own clients only"))
	} else if _, pattern := s.mux.Handler(r); pattern == "" {
		s.unrouted(sw, r)
	} else {
		s.mux.ServeHTTP(sw, r)
	}
	s.logRequest(r, sw.status, entry, time.Since(start))
}

// unrouted answers a request that matches no endpoint, or matches one
// with another method, with a JSON 404 or 405.
func (s *server) unrouted(w http.ResponseWriter, r *http.Request) {
	probe := &probeWriter{header: http.Header{}}
	s.mux.ServeHTTP(probe, r)

	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.fail(w, r, newError(probe.status, nil, "%s is not allowed on %s",
			r.Method, r.URL.Path))
		return
	}
	s.fail(w, r, newError(http.StatusNotFound, nil, "no endpoint %s", r.URL.Path))
}

// fail renders err and keeps its cause for the access log.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := errorFrom(err)
	entryOf(r.Context()).cause = err

	// An errorBody always marshals, so writeJSON cannot fail here.
	_ = writeJSON(w, e.Status, errorBody{Error: e.Message})
}
