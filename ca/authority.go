package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Authority signs certificates with the intermediate key. It is safe for
// concurrent use: nothing in it changes after Init or Load.
type Authority struct {
	trustDomain   string
	root          *x509.Certificate
	intermediate  *x509.Certificate
	key           crypto.Signer
	roots         *x509.CertPool
	intermediates *x509.CertPool
}

func newAuthority(trustDomain string, root, inter *x509.Certificate,
	key crypto.Signer) *Authority {
	roots := x509.NewCertPool()
	roots.AddCert(root)
	intermediates := x509.NewCertPool()
	intermediates.AddCert(inter)

	return &Authority{
		trustDomain:   trustDomain,
		root:          root,
		intermediate:  inter,
		key:           key,
		roots:         roots,
		intermediates: intermediates,
	}
}

// Init creates a new root and intermediate under dir/ca and returns the
// Authority. It refuses, naming the file, when any CA file already exists.
func Init(dir, trustDomain string) (*Authority, error) {
	if err := checkTrustDomain(trustDomain); err != nil {
		return nil, fmt.Errorf("init ca: %w", err)
	}

	paths := pathsIn(dir)
	if err := refuseExisting(paths.all()); err != nil {
		return nil, fmt.Errorf("init ca: %w", err)
	}

	now := time.Now()
	root, rootKey, err := newRoot(trustDomain, now)
	if err != nil {
		return nil, fmt.Errorf("init ca: %w", err)
	}
	inter, interKey, err := newIntermediate(trustDomain, root, rootKey, now)
	if err != nil {
		return nil, fmt.Errorf("init ca: %w", err)
	}

	if err := writeCA(paths, root, rootKey, inter, interKey); err != nil {
		return nil, fmt.Errorf("init ca: %w", err)
	}
	return newAuthority(trustDomain, root, inter, interKey), nil
}

// writeCA creates the CA directory for the owner alone and writes the four
// files, keys first.
func writeCA(paths caPaths, root *x509.Certificate, rootKey *ecdsa.PrivateKey,
	inter *x509.Certificate, interKey *ecdsa.PrivateKey) error {
	if err := os.MkdirAll(paths.dir, dirMode); err != nil {
		return fmt.Errorf("create ca directory: %w", err)
	}
	if err := os.Chmod(paths.dir, dirMode); err != nil {
		return fmt.Errorf("restrict ca directory: %w", err)
	}

	rootKeyPEM, err := keyPEM(rootKey)
	if err != nil {
		return err
	}
	interKeyPEM, err := keyPEM(interKey)
	if err != nil {
		return err
	}

	return writeNewFiles([]newFile{
		{path: paths.rootKey, data: rootKeyPEM, mode: keyMode},
		{path: paths.interKey, data: interKeyPEM, mode: keyMode},
		{path: paths.rootCert, data: EncodePEM(root), mode: certMode},
		{path: paths.interCert, data: EncodePEM(inter), mode: certMode},
	})
}

// Load reads the CA under dir/ca. It refuses to load a private key that is
// readable or writable by anyone but its owner, and a ca directory that
// anyone but its owner may write.
//
// The root key is not needed to sign, so it may be kept offline: when
// root.key is absent Load goes on, and when present it must be private and
// match the root.
func Load(dir, trustDomain string) (*Authority, error) {
	if err := checkTrustDomain(trustDomain); err != nil {
		return nil, fmt.Errorf("load ca: %w", err)
	}

	paths := pathsIn(dir)
	if err := checkDirMode(paths.dir); err != nil {
		return nil, fmt.Errorf("load ca: %w", err)
	}
	root, inter, key, err := readCA(paths)
	if err != nil {
		return nil, fmt.Errorf("load ca: %w", err)
	}

	if err := checkHierarchy(trustDomain, root, inter, key, time.Now()); err != nil {
		return nil, fmt.Errorf("load ca %s: %w", paths.dir, err)
	}
	return newAuthority(trustDomain, root, inter, key), nil
}

func readCA(paths caPaths) (root, inter *x509.Certificate, key *ecdsa.PrivateKey,
	err error) {
	if root, err = readCert(paths.rootCert); err != nil {
		return nil, nil, nil, err
	}
	if err = checkRootKey(paths.rootKey, root); err != nil {
		return nil, nil, nil, err
	}

	if inter, err = readCert(paths.interCert); err != nil {
		return nil, nil, nil, err
	}
	if key, err = readKey(paths.interKey); err != nil {
		return nil, nil, nil, err
	}
	return root, inter, key, nil
}

// checkRootKey checks the root key when it is present.
func checkRootKey(path string, root *x509.Certificate) error {
	key, err := readKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}

	if err := checkKeyPair(root, key); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadCA, path, err)
	}
	return nil
}

// TrustDomain returns the trust domain of the user URIs this CA signs.
func (a *Authority) TrustDomain() string { return a.trustDomain }

// Root returns the root certificate.
func (a *Authority) Root() *x509.Certificate { return a.root }

// Intermediate returns the signing intermediate certificate.
func (a *Authority) Intermediate() *x509.Certificate { return a.intermediate }

// Roots returns a pool holding the root alone. Each call returns a new pool,
// so that changing it leaves the Authority as it was.
func (a *Authority) Roots() *x509.CertPool { return a.roots.Clone() }

// BundlePEM returns the root then the intermediate, PEM encoded.
func (a *Authority) BundlePEM() []byte {
	return EncodePEM(a.root, a.intermediate)
}

// EncodePEM returns certs as consecutive CERTIFICATE PEM blocks, in order.
func EncodePEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: certPEMType, Bytes: c.Raw})...)
	}
	return out
}
