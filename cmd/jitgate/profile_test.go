package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/config"
	"github.com/jitgate/jitgate/fileperm"
)

func TestWritePrivate(t *testing.T) {
	t.Run("an existing file open to others ends owner-only", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key.pem")
		require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
		require.NoError(t, os.Chmod(path, 0o644))

		require.NoError(t, writePrivate(path, []byte("new")))
		info, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
		assertContent(t, path, "new")
	})

	t.Run("a symbolic link is replaced, not followed", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(t.TempDir(), "elsewhere")
		require.NoError(t, os.WriteFile(target, []byte("untouched"), 0o600))
		path := filepath.Join(dir, "key.pem")
		require.NoError(t, os.Symlink(target, path))

		require.NoError(t, writePrivate(path, []byte("new")))
		assertContent(t, target, "untouched")
		info, err := os.Lstat(path)
		require.NoError(t, err)
		assert.True(t, info.Mode().IsRegular(), "the link is still there")
	})

	t.Run("a directory others may write is refused", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.Chmod(dir, 0o777))
		err := writePrivate(filepath.Join(dir, "key.pem"), []byte("new"))
		require.ErrorIs(t, err, config.ErrWritableByOthers)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Empty(t, entries, "a refused write left a file")
	})

	t.Run("a directory another user owns is refused, through a link too", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("giving a directory to another user needs root")
		}
		owned := t.TempDir()
		require.NoError(t, os.Chown(owned, 65534, 65534))
		require.NoError(t, os.Chmod(owned, 0o755))
		link := filepath.Join(t.TempDir(), "home")
		require.NoError(t, os.Symlink(owned, link))

		err := writePrivate(filepath.Join(link, "key.pem"), []byte("new"))
		require.ErrorIs(t, err, fileperm.ErrForeignOwner)
		require.ErrorContains(t, err, "belongs to user 65534")
		entries, err := os.ReadDir(owned)
		require.NoError(t, err)
		assert.Empty(t, entries, "a refused write left a file")
	})
}

func assertContent(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, string(b))
}

func TestReadTokenFile(t *testing.T) {
	dir := t.TempDir()
	shared := filepath.Join(dir, "shared")
	require.NoError(t, os.WriteFile(shared, []byte(" tok-123\n"), 0o600))
	require.NoError(t, os.Chmod(shared, 0o644))
	var stderr strings.Builder
	tok, err := readToken(&stderr, "", shared)
	require.NoError(t, err)
	assert.Equal(t, "tok-123", tok)
	assert.Contains(t, stderr.String(), "others may read the token")

	private := filepath.Join(dir, "private")
	require.NoError(t, os.WriteFile(private, []byte("tok-456"), 0o600))
	stderr.Reset()
	_, err = readToken(&stderr, "", private)
	require.NoError(t, err)
	assert.Empty(t, stderr.String())

	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	_, err = readToken(&stderr, "", empty)
	assert.ErrorContains(t, err, "holds no token")
}
