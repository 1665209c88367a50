// Package tools pins the versions of the developer tools jitgate's Makefile
// runs (go tool -modfile=tools/go.mod NAME), apart from the module's own
// dependencies so the tools' graph never moves the binary's.
package tools
