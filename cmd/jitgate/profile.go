package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jitgate/jitgate/config"
)

// Names of the files a profile keeps under its home directory.
const (
	profileFile  = "profile.json"
	identityCert = "identity.crt"
	identityKey  = "identity.key"
	caBundleFile = "ca.pem"
	grantCert    = "cert.pem"
	grantKey     = "key.pem"
	requestsDir  = "requests"
	grantsDir    = "grants"
)

// profile is what a client remembers about the server it enrolled with.
type profile struct {
	home   string
	Server string `json:"server"`
	User   string `json:"user"`
}

// homeDir returns $JITGATE_HOME, or ~/.jitgate when it is unset.
func homeDir() (string, error) {
	if h := os.Getenv("JITGATE_HOME"); h != "" {
		return h, nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find home directory (set JITGATE_HOME): %w", err)
	}
	return filepath.Join(h, ".jitgate"), nil
}

func loadProfile() (*profile, error) {
	home, err := homeDir()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(home, profileFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no profile in %s: run jitgate login first", home)
	}
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	p := &profile{home: home}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("read profile %s: %w", filepath.Join(home, profileFile), err)
	}
	// Any replica of a fleet answers for the same CA, so the profile's
	// identity works against another one when its own is down.
	if server := os.Getenv("JITGATE_SERVER"); server != "" {
		p.Server = server
	}
	return p, nil
}

func (p *profile) save() error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return writePrivate(filepath.Join(p.home, profileFile), append(b, '\n'))
}

func (p *profile) path(parts ...string) string {
	return filepath.Join(append([]string{p.home}, parts...)...)
}

// writePrivate writes a file readable by its owner alone, creating its
// directory (also owner-only) when needed. It refuses a directory others
// may write or another user owns (config.CheckNotWritableByOthers follows
// links), where they could swap the CA bundle or the profile. The content
// goes to a new owner-only file that then replaces path, so it is never
// readable by others, not even for a moment, and a symbolic link at path is
// replaced rather than followed.
func writePrivate(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := config.CheckNotWritableByOthers("profile directory", dir); err != nil {
		return err
	}

	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// localName checks that an ID the server sent can name a directory under
// the profile and nothing outside it.
func localName(kind, id string) error {
	if id == "" || !filepath.IsLocal(id) || filepath.Base(id) != id {
		return fmt.Errorf("server sent a %s ID %q that is not a plain name", kind, id)
	}
	return nil
}

// newKey makes a key pair on this machine; the private key never leaves it.
func newKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// newCSR returns a PEM certificate request for key. It names nothing: the CA
// decides every name.
func newCSR(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		return nil, fmt.Errorf("make csr: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	b, err := encodeKey(key)
	if err != nil {
		return fmt.Errorf("encode key: %w", err)
	}
	return writePrivate(path, b)
}
