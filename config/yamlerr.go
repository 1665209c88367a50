package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// unknownField matches yaml's report of a key that no field takes.
var unknownField = regexp.MustCompile(`^field (\S+) not found in type config\.(\w+)$`)

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

// lineError matches the position yaml puts before a problem.
var lineError = regexp.MustCompile(`(?s)^(?:yaml: )?line (\d+): (.*)$`)

// explainDecode turns yaml's decoding errors into a *FileError at the line
// and column of the first one. An unknown key is named, with the keys that
// would fit; other problems are placed at the line's first character, as
// yaml gives no column. doc is the decoded document.
func explainDecode(err error, doc []byte) error {
	problems := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		problems = te.Errors
	}

	m := lineError.FindStringSubmatch(problems[0])
	if m == nil {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	line, _ := strconv.Atoi(m[1])
	key := ""
	if u := unknownField.FindStringSubmatch(m[2]); u != nil {
		key = u[1]
	}
	key, column := keyOnLine(doc, line, key)
	fe := &FileError{Line: line, Column: column, Key: key, Problem: explainProblem(m[2])}
	switch more := len(problems) - 1; {
	case more == 1:
		fe.Problem += " (and 1 more problem)"
	case more > 1:
		fe.Problem += fmt.Sprintf(" (and %d more problems)", more)
	}
	return fe
}

// explainProblem rewrites yaml's report of a key that no field takes into
// one that says where the key stands and which keys would fit there.
func explainProblem(problem string) string {
	m := unknownField.FindStringSubmatch(problem)
	if m == nil {
		return problem
	}
	key, typ := m[1], m[2]
	sec, ok := sections[typ]
	if !ok {
		return problem
	}
	msg := fmt.Sprintf("unknown key in %s; known: %s", sec.key,
		strings.Join(yamlKeys(sec.kind), ", "))
	if _, inPolicy := policyKeys[key]; typ == "Resource" && inPolicy {
		msg += fmt.Sprintf(" (%s belongs in the resource's policy block)", key)
	}
	return msg
}

// keyOnLine returns key and the column (from 1, in characters) where it
// is written on line (from 1) of doc, quoted or not; the column of the
// line's first character when key is empty or not found there.
func keyOnLine(doc []byte, line int, key string) (string, int) {
	lines := strings.Split(string(doc), "\n")
	if line < 1 || line > len(lines) {
		return key, 1
	}
	text := lines[line-1]
	column := func(byteAt int) int { return utf8.RuneCountInString(text[:byteAt]) + 1 }
	if key != "" {
		quoted := regexp.QuoteMeta(key)
		written := regexp.MustCompile(`(?:^|[\s{,])(["']?` + quoted + `["']?)\s*:`)
		if at := written.FindStringSubmatchIndex(text); at != nil {
			return key, column(at[2])
		}
	}
	return key, column(len(text) - len(strings.TrimLeft(text, " -{")))
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
