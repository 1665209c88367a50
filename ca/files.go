package ca

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/jitgate/jitgate/fileperm"
)

// Modes of the CA directory and files. Keys are for the owner alone; Load
// refuses a key with any of keyForbiddenBits set, and a directory with any
// of dirForbiddenBits, since whoever may write it may swap the files.
const (
	dirMode          fs.FileMode = 0o700
	keyMode          fs.FileMode = 0o600
	certMode         fs.FileMode = 0o644
	keyForbiddenBits fs.FileMode = 0o077
	dirForbiddenBits fs.FileMode = 0o022
)

// PEM block types written and read.
const (
	certPEMType     = "CERTIFICATE"
	ecKeyPEMType    = "EC PRIVATE KEY"
	pkcs8KeyPEMType = "PRIVATE KEY"
)

// caPaths are the files of a CA under dir/ca.
type caPaths struct {
	dir       string
	rootCert  string
	rootKey   string
	interCert string
	interKey  string
}

func pathsIn(dir string) caPaths {
	caDir := filepath.Join(dir, "ca")
	return caPaths{
		dir:       caDir,
		rootCert:  filepath.Join(caDir, "root.crt"),
		rootKey:   filepath.Join(caDir, "root.key"),
		interCert: filepath.Join(caDir, "intermediate.crt"),
		interKey:  filepath.Join(caDir, "intermediate.key"),
	}
}

func (p caPaths) all() []string {
	return []string{p.rootCert, p.rootKey, p.interCert, p.interKey}
}

// refuseExisting returns an error wrapping ErrCAExists naming the first of
// paths that exists.
func refuseExisting(paths []string) error {
	for _, path := range paths {
		_, err := os.Lstat(path)
		if err == nil {
			return fmt.Errorf("%s: %w", path, ErrCAExists)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("check %s: %w", path, err)
		}
	}
	return nil
}

// newFile is a file to create.
type newFile struct {
	path string
	data []byte
	mode fs.FileMode
}

// writeNewFiles creates files in order. When one fails, those created
// before it are removed, so that a later Init can start clean.
func writeNewFiles(files []newFile) error {
	for i, f := range files {
		if err := writeNewFile(f); err != nil {
			for _, done := range files[:i] {
				_ = os.Remove(done.path)
			}
			return err
		}
	}
	return nil
}

// writeNewFile creates f.path with O_EXCL, so that nothing is overwritten,
// and syncs it.
func writeNewFile(f newFile) error {
	file, err := os.OpenFile(f.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w", f.path, ErrCAExists)
	}
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}

	_, err = file.Write(f.data)
	if err == nil {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}

	if err != nil {
		_ = os.Remove(f.path)
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// keyPEM encodes key as an "EC PRIVATE KEY" block.
func keyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: ecKeyPEMType, Bytes: der}), nil
}

// readCert reads the one certificate of a PEM file.
func readCert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read certificate: %w", err)
	}

	block, _ := pem.Decode(data)
	if block == nil || block.Type != certPEMType {
		return nil, fmt.Errorf("%w: %s holds no %s pem block", ErrBadCA, path, certPEMType)
	}

	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: parse %s: %w", ErrBadCA, path, err)
	}
	return cert, nil
}

// readKey reads an ECDSA private key from a PEM file that only its owner
// may read or write.
func readKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := readPrivateFile(path)
	if err != nil {
		return nil, err
	}

	key, err := parseKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadCA, path, err)
	}
	return key, nil
}

// checkDirMode refuses the CA directory when its group or others may
// write it, or another user owns it.
func checkDirMode(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("check ca directory: %w", err)
	}

	if mode := info.Mode().Perm(); mode&dirForbiddenBits != 0 {
		return fmt.Errorf("%s has mode %04o, want 0700 or stricter: %w",
			dir, uint32(mode), ErrDirPermissions)
	}
	return fileperm.CheckOwner("ca directory", dir, info)
}

// readPrivateFile checks the mode of the open file, not of the path, so the
// file read is the file checked.
func readPrivateFile(path string) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	defer file.Close()

	info, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	if mode := info.Mode().Perm(); mode&keyForbiddenBits != 0 {
		return nil, fmt.Errorf("%s has mode %04o, want 0600 or stricter: %w",
			path, uint32(mode), ErrKeyPermissions)
	}
	if err := fileperm.CheckOwner("key", path, info); err != nil {
		return nil, err
	}

	data, err := io.ReadAll(file)
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", path, err)
	}
	return data, nil
}

// parseKeyPEM accepts an ECDSA key as "EC PRIVATE KEY" or PKCS #8.
func parseKeyPEM(data []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no pem block")
	}

	switch block.Type {
	case ecKeyPEMType:
		return x509.ParseECPrivateKey(block.Bytes)
	case pkcs8KeyPEMType:
		return parsePKCS8ECDSA(block.Bytes)
	}
	return nil, fmt.Errorf("pem block is %q, want %q or %q", block.Type,
		ecKeyPEMType, pkcs8KeyPEMType)
}

func parsePKCS8ECDSA(der []byte) (*ecdsa.PrivateKey, error) {
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}

	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%T key, want ecdsa", key)
	}
	return ec, nil
}
