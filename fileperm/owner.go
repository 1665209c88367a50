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
	uid, known := owner(info)
	if !known {
		return nil
	}
	if self := os.Geteuid(); uid != 0 && uid != self {
		return fmt.Errorf("%s %s belongs to user %d, not to %d (who runs jitgate) or root: "+
			"%w; give it to this user (chown)", what, path, uid, self, ErrForeignOwner)
	}
	return nil
}
