package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
)

// Names of a fixture: the trust domain of its CA, the one resource the
// servers under test front, and the users of its grants.
const (
	TrustDomain = "bench.jitgate"
	Resource    = "echo"
	requester   = "alice"
	approver    = "bob"
	// grantLength is how long a fixture's grants last: longer than any run.
	grantLength = 8 * time.Hour
	// tableSize is the grant cache of a gateway, as jitgate serve sizes it.
	tableSize = 100_000
)

// Files of a fixture directory, besides the CA under ca/ and the
// certificates certmagic keeps under certs/.
const (
	// StoreFile is the SQLite store holding the fixture's grants.
	StoreFile = "jitgate.db"
	// CAFile is the root then the intermediate, the bundle a client gets.
	CAFile = "ca.pem"
	// ServerCertFile is the serving certificate then the intermediate; its
	// key is ServerKeyFile. It names localhost and 127.0.0.1.
	ServerCertFile = "server.crt"
	ServerKeyFile  = "server.key"
	certsDir       = "certs"
	// loadName and revokeName name the two clients' files.
	loadName   = "load"
	revokeName = "revoke"
)

// ServerName is the name clients send; the serving certificate covers it.
const ServerName = "localhost"

// Client is one grant certificate of a fixture, with its key, as `jitgate
// request` writes them: the leaf alone, PEM encoded.
type Client struct {
	GrantID  string
	CertFile string
	KeyFile  string
}

// Fixture is a jitgate data directory made for a benchmark: a CA, a store
// holding active grants of user alice for Resource, and the PEM files that
// every server under test and the load generator share.
type Fixture struct {
	Dir string
	// Load is the grant every load runs with; Revoke is a second grant of
	// the same user, for the revocation run, which ends it.
	Load   Client
	Revoke Client
}

// Setup makes a fixture in dir, which must exist and be empty.
func Setup(ctx context.Context, dir string) (*Fixture, error) {
	authority, err := ca.Init(dir, TrustDomain)
	if err != nil {
		return nil, err
	}
	if err := writeServing(ctx, authority, dir); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, CAFile), authority.BundlePEM(),
		0o644); err != nil {
		return nil, fmt.Errorf("write ca bundle: %w", err)
	}

	f := &Fixture{Dir: dir}
	if err := f.grant(ctx, authority); err != nil {
		return nil, err
	}
	return f, nil
}

// Path returns the path of name inside the fixture.
func (f *Fixture) Path(name string) string {
	return filepath.Join(f.Dir, name)
}

// writeServing has certmagic issue the serving certificate as jitgate serve
// does, then copies it where peers read it.
func writeServing(ctx context.Context, authority *ca.Authority, dir string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	storage := filepath.Join(dir, certsDir)
	_, err := ca.ServingCertificates(ctx, authority, storage, servingNames(), zap.NewNop())
	if err != nil {
		return err
	}

	stored := filepath.Join(storage, "certificates", authority.IssuerKey(), ServerName)
	copies := map[string]string{
		ServerName + ".crt": ServerCertFile, ServerName + ".key": ServerKeyFile,
	}
	for from, to := range copies {
		if err := copyFile(filepath.Join(stored, from), filepath.Join(dir, to)); err != nil {
			return fmt.Errorf("copy serving certificate: %w", err)
		}
	}
	return nil
}

// servingNames are the names of the serving certificate.
func servingNames() []string {
	return []string{ServerName, "127.0.0.1"}
}

// grant adds the users and the two grants of the fixture through the grants
// service, as an approval would.
func (f *Fixture) grant(ctx context.Context, authority *ca.Authority) error {
	store, err := grants.OpenSQLite(f.Path(StoreFile))
	if err != nil {
		return err
	}
	defer store.Close()

	svc, err := newService(store, authority, nil, zap.NewNop())
	if err != nil {
		return err
	}
	for _, u := range []struct {
		name string
		role grants.Role
	}{{requester, grants.RoleRequester}, {approver, grants.RoleApprover}} {
		if _, err := svc.AddUser(ctx, approver, u.name, []grants.Role{u.role}); err != nil {
			return fmt.Errorf("add user %s: %w", u.name, err)
		}
	}

	if f.Load, err = f.client(ctx, svc, loadName); err != nil {
		return err
	}
	f.Revoke, err = f.client(ctx, svc, revokeName)
	return err
}

// client requests and approves a grant for a new key and writes the key and
// the grant certificate as name.key and name.crt.
func (f *Fixture) client(ctx context.Context, svc *grants.Service,
	name string) (Client, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Client{}, fmt.Errorf("client key: %w", err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		return Client{}, fmt.Errorf("client csr: %w", err)
	}

	g, err := approvedGrant(ctx, svc, csr)
	if err != nil {
		return Client{}, err
	}
	c := Client{GrantID: g.ID, CertFile: f.Path(name + ".crt"),
		KeyFile: f.Path(name + ".key")}
	if err := writePEM(c.CertFile, "CERTIFICATE", g.Certificate); err != nil {
		return Client{}, err
	}
	return c, writeKey(c.KeyFile, key)
}

// approvedGrant has the requester ask for Resource and the approver approve.
func approvedGrant(ctx context.Context, svc *grants.Service,
	csr []byte) (grants.Grant, error) {
	r, err := svc.CreateRequest(ctx, grants.NewRequest{
		User: requester, Resource: Resource, Duration: grantLength,
		Reason: "benchmark", CSR: csr,
	})
	if err != nil {
		return grants.Grant{}, fmt.Errorf("request grant: %w", err)
	}
	r, err = svc.Approve(ctx, r.ID, approver, "")
	if err != nil {
		return grants.Grant{}, fmt.Errorf("approve grant: %w", err)
	}
	return svc.Grant(ctx, r.GrantID)
}

// newService returns a grants service over store that signs with authority,
// for the one resource of a fixture. table may be nil outside a gateway.
func newService(store grants.Store, authority *ca.Authority, table *grants.Table,
	log *zap.Logger) (*grants.Service, error) {
	if table == nil {
		var err error
		if table, err = grants.NewTable(store, tableSize); err != nil {
			return nil, err
		}
	}
	return grants.NewService(grants.Options{
		Store:  store,
		Signer: grantSigner{authority},
		Table:  table,
		Resources: []grants.Resource{{
			Name: Resource, Policy: grants.Policy{MaxDuration: grantLength},
		}},
		Logger: log,
	})
}

// grantSigner signs grant certificates with the CA, as jitgate serve does.
type grantSigner struct{ authority *ca.Authority }

func (s grantSigner) SignGrant(csrDER []byte, g grants.Grant) ([]byte, error) {
	csr, err := ca.ParseCSR(csrDER)
	if err != nil {
		return nil, err
	}
	claims := ca.GrantClaims{
		User: g.User, GrantID: g.ID, Resource: g.Resource, NotAfter: g.NotAfter,
	}
	cert, err := s.authority.SignGrant(csr, claims, time.Now())
	if err != nil {
		return nil, err
	}
	return cert.Raw, nil
}

// writeKey writes key as a PKCS #8 PEM file only its owner may read.
func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key: %w", err)
	}
	return writePEM(path, "PRIVATE KEY", der)
}

// writePEM writes der as one PEM block of type typ, mode 0600.
func writePEM(path, typ string, der []byte) error {
	b := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// copyFile copies from to a new file to, mode 0600.
func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

// loopback reports whether addr is host:port with a loopback IP host.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
