package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/jitgate/jitgate/fileperm"
)

// ErrWritableByOthers is returned when a file or directory that decides
// what jitgate allows can be changed by users other than its owner.
var ErrWritableByOthers = errors.New("writable by group or others")

// othersWrite are the permission bits that let users other than the owner
// change a file, or add, rename and remove entries of a directory.
const othersWrite fs.FileMode = 0o022

// CheckNotWritableByOthers refuses path when its group or others may write
// it, or when it belongs to a user other than the one running jitgate and
// root, who may write it whatever its mode: the config file (its
// policies), the data directory (its CA and store) and the store file are
// jitgate's decisions, and whoever can change them can grant themselves
// access. A path that does not exist passes: what jitgate creates, it
// creates private.
func CheckNotWritableByOthers(what, path string) error {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", what, err)
	}
	return checkTrusted(what, path, info)
}

// checkTrusted is CheckNotWritableByOthers on info, what was found at
// path.
func checkTrusted(what, path string, info fs.FileInfo) error {
	if mode := info.Mode().Perm(); mode&othersWrite != 0 {
		return fmt.Errorf("%s %s has mode %04o: %w; remove the write bits of group and "+
			"others (chmod go-w)", what, path, uint32(mode), ErrWritableByOthers)
	}
	return fileperm.CheckOwner(what, path, info)
}

// readTrusted reads the file at path after checking, as
// CheckNotWritableByOthers does, the file it opened: the file read is the
// file checked, even if the path is switched in between.
func readTrusted(what, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer f.Close()

	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if err := checkTrusted(what, path, info); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return b, nil
}
