// Package fileperm decides whether jitgate may trust a file or directory
// it reads decisions from: whoever can change such a file can grant
// themselves access, so it must belong to the user jitgate runs as, or to
// root.
package fileperm
