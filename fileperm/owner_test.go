//go:build unix

package fileperm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nobody is a user ID that runs nothing here.
const nobody = 65534

func TestCheckOwner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jitgate.yaml")
	require.NoError(t, os.WriteFile(path, []byte("x"), 0o600))
	check := func() error {
		info, err := os.Stat(path)
		require.NoError(t, err)
		return CheckOwner("config file", path, info)
	}

	require.NoError(t, check(), "a file of the user running the test")

	if err := os.Chown(path, nobody, nobody); err != nil {
		t.Skipf("giving a file to another user needs root: %v", err)
	}
	err := check()
	require.ErrorIs(t, err, ErrForeignOwner)
	assert.ErrorContains(t, err, "config file "+path+" belongs to user 65534")
	if os.Geteuid() == 0 {
		assert.ErrorContains(t, err, "not to root, who runs jitgate: owned by another user; "+
			"give it to root (chown)")
	}

	require.NoError(t, os.Chown(path, 0, 0))
	assert.NoError(t, check(), "root's files are trusted")
}

func TestCheckOwnerAsAnotherUser(t *testing.T) {
	const self = 1000
	path := filepath.Join(t.TempDir(), "jitgate.yaml")
	require.NoError(t, os.WriteFile(path, []byte("x"), 0o600))
	check := func() error {
		info, err := os.Stat(path)
		require.NoError(t, err)
		return checkOwner("config file", path, info, self)
	}
	if os.Geteuid() == 0 {
		require.NoError(t, check(), "root's files are trusted by every user")
	}

	if err := os.Chown(path, self, self); err != nil {
		t.Skipf("giving a file to another user needs root: %v", err)
	}
	require.NoError(t, check(), "the user's own file")

	require.NoError(t, os.Chown(path, nobody, nobody))
	assert.EqualError(t, check(), "config file "+path+" belongs to user 65534, not to "+
		"user 1000, who runs jitgate, or root: owned by another user; give it to that "+
		"user (chown)")
}
