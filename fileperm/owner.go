package fileperm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrForeignOwner is returned for a file owned by someone other than the
// user jitgate runs as and root.
var ErrForeignOwner = errors.New("owned by another user")

// CheckOwner refuses info, the file or directory at path that holds what,
// when it belongs to a user other than the effective user and root. Where
// the system does not say who owns a file, it passes.
func CheckOwner(what, path string, info fs.FileInfo) error {
	return checkOwner(what, path, info, os.Geteuid())
}

// checkOwner is CheckOwner for jitgate running as user self.
func checkOwner(what, path string, info fs.FileInfo, self int) error {
	uid, known := owner(info)
	if !known {
		return nil
	}
	if uid == 0 || uid == self {
		return nil
	}
	owners, fix := fmt.Sprintf("user %d, who runs jitgate, or root", self), "that user"
	if self == 0 {
		owners, fix = "root, who runs jitgate", "root"
	}
	return fmt.Errorf("%s %s belongs to user %d, not to %s: %w; give it to %s (chown)",
		what, path, uid, owners, ErrForeignOwner, fix)
}
