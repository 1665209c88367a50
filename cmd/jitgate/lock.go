package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile marks a data directory as in use by one jitgate process.
const lockFile = "jitgate.lock"

// lockDataDir takes an exclusive lock on dir until release is called or the
// process ends. A second jitgate on the same directory fails to start rather
// than serve a grant table that never hears of the first one's revocations.
func lockDataDir(dir string) (release func() error, err error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, fmt.Errorf("data dir %s is in use by another jitgate process "+
			"(%s is locked); run one process per data directory", dir, path)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	return f.Close, nil
}
