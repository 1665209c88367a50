package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/fileperm"
)

func TestInitWritesCA(t *testing.T) {
	dir := t.TempDir()
	before := time.Now().Truncate(time.Second)

	a, err := Init(dir, testDomain)
	require.NoError(t, err)

	paths := pathsIn(dir)
	assertMode(t, paths.dir, fs.ModeDir|dirMode)
	assertMode(t, paths.rootKey, keyMode)
	assertMode(t, paths.interKey, keyMode)

	root, inter := a.Root(), a.Intermediate()
	assert.Equal(t, "jitgate root CA (jitgate.test)", root.Subject.CommonName)
	assert.Equal(t, "jitgate intermediate CA (jitgate.test)", inter.Subject.CommonName)
	assert.True(t, root.IsCA)
	assert.True(t, inter.IsCA)
	assert.Equal(t, 0, inter.MaxPathLen)
	assert.True(t, inter.MaxPathLenZero)
	require.NoError(t, inter.CheckSignatureFrom(root))

	for _, c := range []*x509.Certificate{root, inter} {
		pub, ok := c.PublicKey.(*ecdsa.PublicKey)
		require.True(t, ok, "%s key is %T", c.Subject.CommonName, c.PublicKey)
		assert.Equal(t, elliptic.P256(), pub.Curve)
	}

	assertLifetime(t, root, before, rootLifetime)
	assertLifetime(t, inter, before, intermediateLifetime)
	assert.Equal(t, "jitgate-jitgate.test", a.IssuerKey())
	assert.Equal(t, testDomain, a.TrustDomain())
}

func assertMode(t testing.TB, path string, want fs.FileMode) {
	t.Helper()

	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, want, info.Mode(), path)
}

// assertLifetime checks that cert starts ClockSkew before a time at or after
// before, and lasts lifetime from then.
func assertLifetime(t testing.TB, cert *x509.Certificate, before time.Time,
	lifetime time.Duration) {
	t.Helper()

	assert.False(t, cert.NotBefore.Before(before.Add(-ClockSkew)), cert.Subject)
	assert.Equal(t, lifetime+ClockSkew, cert.NotAfter.Sub(cert.NotBefore), cert.Subject)
}

func TestInitRefusesExistingFile(t *testing.T) {
	for _, name := range []string{"root.crt", "root.key", "intermediate.crt",
		"intermediate.key"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			existing := filepath.Join(dir, "ca", name)
			require.NoError(t, os.MkdirAll(filepath.Dir(existing), dirMode))
			require.NoError(t, os.WriteFile(existing, []byte("keep me"), keyMode))

			_, err := Init(dir, testDomain)
			require.ErrorIs(t, err, ErrCAExists)
			assert.Contains(t, err.Error(), existing)

			kept, err := os.ReadFile(existing)
			require.NoError(t, err)
			assert.Equal(t, "keep me", string(kept))
			entries, err := os.ReadDir(filepath.Dir(existing))
			require.NoError(t, err)
			assert.Len(t, entries, 1, "init wrote files beside the existing one")
		})
	}
}

func TestInitTwiceRefuses(t *testing.T) {
	dir := t.TempDir()
	first, err := Init(dir, testDomain)
	require.NoError(t, err)

	_, err = Init(dir, testDomain)
	require.ErrorIs(t, err, ErrCAExists)
	assert.Contains(t, err.Error(), filepath.Join(dir, "ca", "root.crt"))

	loaded, err := Load(dir, testDomain)
	require.NoError(t, err)
	assert.Equal(t, first.Root().Raw, loaded.Root().Raw)
}

func TestInitRefusesBadTrustDomain(t *testing.T) {
	for _, td := range []string{"", "Example.test", "a/b", "spiffe://x", "a b"} {
		t.Run(td, func(t *testing.T) {
			_, err := Init(t.TempDir(), td)
			assert.ErrorIs(t, err, ErrBadName)
		})
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		edit func(t *testing.T, p caPaths)
	}{
		{name: "as written", edit: func(*testing.T, caPaths) {}},
		{name: "root key offline", edit: func(t *testing.T, p caPaths) {
			require.NoError(t, os.Remove(p.rootKey))
		}},
		{name: "pkcs8 key", edit: func(t *testing.T, p caPaths) {
			rewriteKeyPKCS8(t, p.interKey)
		}},
		{name: "key mode 0400", edit: func(t *testing.T, p caPaths) {
			require.NoError(t, os.Chmod(p.interKey, 0o400))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			made, err := Init(dir, testDomain)
			require.NoError(t, err)
			tt.edit(t, pathsIn(dir))

			a, err := Load(dir, testDomain)
			require.NoError(t, err)
			assert.Equal(t, made.Root().Raw, a.Root().Raw)
			assert.Equal(t, made.Intermediate().Raw, a.Intermediate().Raw)

			now := testNow()
			_, err = a.Verify([]*x509.Certificate{signIdentity(t, a, now)}, now)
			assert.NoError(t, err)
		})
	}
}

// rewriteKeyPKCS8 rewrites the EC key at path as PKCS #8.
func rewriteKeyPKCS8(t testing.TB, path string) {
	t.Helper()

	key, err := readKey(path)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)

	data := pem.EncodeToMemory(&pem.Block{Type: pkcs8KeyPEMType, Bytes: der})
	require.NoError(t, os.WriteFile(path, data, keyMode))
}

// chownOrSkip gives path to the user nobody, or skips t where only root
// could.
func chownOrSkip(t *testing.T, path string) {
	t.Helper()
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Skipf("giving a file to another user needs root: %v", err)
	}
}

func TestLoadRefuses(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(t *testing.T, p caPaths)
		domain  string
		wantErr error
		wantMsg string
	}{
		{
			name:    "intermediate key 0644",
			edit:    chmodKey(func(p caPaths) string { return p.interKey }, 0o644),
			wantErr: ErrKeyPermissions,
			wantMsg: "intermediate.key has mode 0644",
		},
		{
			name:    "root key 0640",
			edit:    chmodKey(func(p caPaths) string { return p.rootKey }, 0o640),
			wantErr: ErrKeyPermissions,
			wantMsg: "root.key has mode 0640",
		},
		{
			name:    "key writable by others",
			edit:    chmodKey(func(p caPaths) string { return p.interKey }, 0o602),
			wantErr: ErrKeyPermissions,
			wantMsg: "intermediate.key has mode 0602",
		},
		{
			name: "ca directory writable by others",
			edit: func(t *testing.T, p caPaths) {
				require.NoError(t, os.Chmod(p.dir, 0o777))
			},
			wantErr: ErrDirPermissions,
			wantMsg: "/ca has mode 0777",
		},
		{
			name: "ca directory writable by its group",
			edit: func(t *testing.T, p caPaths) {
				require.NoError(t, os.Chmod(p.dir, 0o770))
			},
			wantErr: ErrDirPermissions,
			wantMsg: "/ca has mode 0770",
		},
		{
			name: "intermediate key of another user",
			edit: func(t *testing.T, p caPaths) {
				chownOrSkip(t, p.interKey)
			},
			wantErr: fileperm.ErrForeignOwner,
			wantMsg: "intermediate.key belongs to user 65534",
		},
		{
			name: "ca directory of another user",
			edit: func(t *testing.T, p caPaths) {
				chownOrSkip(t, p.dir)
			},
			wantErr: fileperm.ErrForeignOwner,
			wantMsg: "/ca belongs to user 65534",
		},
		{
			name:    "other trust domain",
			edit:    func(*testing.T, caPaths) {},
			domain:  "other.test",
			wantErr: ErrBadCA,
			wantMsg: `want "jitgate root CA (other.test)"`,
		},
		{
			name:    "intermediate key of another ca",
			edit:    swapFromOtherCA(func(p caPaths) string { return p.interKey }),
			wantErr: ErrBadCA,
			wantMsg: "does not match",
		},
		{
			name:    "intermediate of another ca",
			edit:    swapFromOtherCA(func(p caPaths) string { return p.interCert }),
			wantErr: ErrBadCA,
			wantMsg: "intermediate not signed by root",
		},
		{
			name:    "root key of another ca",
			edit:    swapFromOtherCA(func(p caPaths) string { return p.rootKey }),
			wantErr: ErrBadCA,
			wantMsg: "root.key",
		},
		{
			name: "garbage certificate",
			edit: func(t *testing.T, p caPaths) {
				require.NoError(t, os.WriteFile(p.interCert, []byte("nope"), certMode))
			},
			wantErr: ErrBadCA,
			wantMsg: "intermediate.crt holds no CERTIFICATE",
		},
		{
			name: "missing intermediate key",
			edit: func(t *testing.T, p caPaths) {
				require.NoError(t, os.Remove(p.interKey))
			},
			wantErr: fs.ErrNotExist,
			wantMsg: "intermediate.key",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Init(dir, testDomain)
			require.NoError(t, err)
			tt.edit(t, pathsIn(dir))

			domain := tt.domain
			if domain == "" {
				domain = testDomain
			}
			_, err = Load(dir, domain)
			require.ErrorIs(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), tt.wantMsg)
		})
	}
}

func chmodKey(path func(caPaths) string, mode fs.FileMode) func(*testing.T, caPaths) {
	return func(t *testing.T, p caPaths) {
		require.NoError(t, os.Chmod(path(p), mode))
	}
}

// swapFromOtherCA replaces one file with the same file of a new CA.
func swapFromOtherCA(path func(caPaths) string) func(*testing.T, caPaths) {
	return func(t *testing.T, p caPaths) {
		other := t.TempDir()
		_, err := Init(other, testDomain)
		require.NoError(t, err)

		data, err := os.ReadFile(path(pathsIn(other)))
		require.NoError(t, err)
		require.NoError(t, os.Remove(path(p)))
		require.NoError(t, os.WriteFile(path(p), data, keyMode))
	}
}

func TestBundlePEM(t *testing.T) {
	a := newTestCA(t)

	var got [][]byte
	rest := a.BundlePEM()
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		assert.Equal(t, "CERTIFICATE", block.Type)
		got = append(got, block.Bytes)
	}
	assert.Equal(t, [][]byte{a.Root().Raw, a.Intermediate().Raw}, got)
	assert.Empty(t, rest)
}

func TestRootsIsACopy(t *testing.T) {
	a := newTestCA(t)
	other := newTestCA(t)

	changed := a.Roots()
	changed.AddCert(other.Root())

	want := x509.NewCertPool()
	want.AddCert(a.Root())
	assert.True(t, a.Roots().Equal(want))
	assert.False(t, a.Roots().Equal(changed))
}

func TestWriteNewFilesRemovesWhatItWroteOnFailure(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "c")
	require.NoError(t, os.WriteFile(existing, []byte("keep me"), keyMode))

	err := writeNewFiles([]newFile{
		{path: filepath.Join(dir, "a"), data: []byte("a"), mode: keyMode},
		{path: filepath.Join(dir, "b"), data: []byte("b"), mode: certMode},
		{path: existing, data: []byte("c"), mode: keyMode},
		{path: filepath.Join(dir, "d"), data: []byte("d"), mode: keyMode},
	})
	require.ErrorIs(t, err, ErrCAExists)
	assert.Contains(t, err.Error(), existing)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "c", entries[0].Name())
	kept, err := os.ReadFile(existing)
	require.NoError(t, err)
	assert.Equal(t, "keep me", string(kept))
}
