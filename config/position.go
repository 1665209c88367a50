package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// FileError is a problem at a place in the config file. Key names the
// setting, such as resources[db].policy.approvals; Line and Column say
// where it is written. Load fills in File. It wraps ErrInvalid.
type FileError struct {
	File    string
	Line    int
	Column  int
	Key     string
	Problem string
}

// Error reads like a compiler's: "jitgate.yaml:14:7: KEY: PROBLEM", or
// without the key when the problem is not about one.
func (e *FileError) Error() string {
	pos := fmt.Sprintf("%d:%d", e.Line, e.Column)
	if e.File != "" {
		pos = e.File + ":" + pos
	}
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", pos, e.Problem)
	}
	return fmt.Sprintf("%s: %s: %s", pos, e.Key, e.Problem)
}

// Unwrap returns ErrInvalid.
func (e *FileError) Unwrap() error { return ErrInvalid }

// errorAt returns a *FileError at n about key.
func errorAt(n *yaml.Node, key, format string, args ...any) *FileError {
	return &FileError{Line: n.Line, Column: n.Column, Key: key,
		Problem: fmt.Sprintf(format, args...)}
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// pair is one key of a mapping and its value.
type pair struct {
	key, value *yaml.Node
}

// pairs returns the keys of the mapping n in order, refusing anything
// that is not a mapping of plain keys, and a key written twice.
func pairs(n *yaml.Node, key string) ([]pair, error) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return nil, errorAt(n, key, "want a mapping of keys to values")
	}

	out := make([]pair, 0, len(n.Content)/2)
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, errorAt(k, key, "want a plain key")
		}
		if seen[k.Value] {
			return nil, errorAt(k, key+"."+k.Value, "written twice")
		}
		seen[k.Value] = true
		out = append(out, pair{key: k, value: v})
	}
	return out, nil
}
