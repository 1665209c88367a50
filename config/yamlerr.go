package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// unknownField matches yaml's report of a key that no field takes.
var unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type config\.(\w+)$`)

// sections names, for each type the file decodes into, where it sits in the
// file, so an unknown key can be reported with the keys that would fit.
var sections = map[string]struct {
	key  string
	kind reflect.Type
}{
	"Config":   {"the top level", reflect.TypeFor[Config]()},
	"Listen":   {"listen", reflect.TypeFor[Listen]()},
	"Resource": {"a resource", reflect.TypeFor[Resource]()},
	"Store":    {"store", reflect.TypeFor[Store]()},
	"TLS":      {"tls", reflect.TypeFor[TLS]()},
	"Webhook":  {"a webhook", reflect.TypeFor[Webhook]()},
}

// explainDecode rewrites yaml's unknown-field errors into ones that name the
// key, where it stands and what would be accepted there. Other errors pass
// through as they are.
func explainDecode(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("parse: %w", err)
	}
	lines := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		lines[i] = explainLine(e)
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(lines, "; "))
}

func explainLine(e string) string {
	m := unknownField.FindStringSubmatch(e)
	if m == nil {
		return e
	}
	line, key, typ := m[1], m[2], m[3]
	sec, ok := sections[typ]
	if !ok {
		return e
	}
	msg := fmt.Sprintf("line %s: unknown key %q in %s; known: %s", line, key, sec.key,
		strings.Join(yamlKeys(sec.kind), ", "))
	if _, inPolicy := policyKeys[key]; typ == "Resource" && inPolicy {
		msg += fmt.Sprintf(" (%s belongs in the resource's policy block)", key)
	}
	return msg
}

// yamlKeys lists the keys a struct type takes, in field order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}
