//go:build unix

package fileperm

import (
	"io/fs"
	"syscall"
)

// owner returns the user ID that owns info's file.
func owner(info fs.FileInfo) (uid int, known bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
