package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// checkKeys refuses a body that encoding/json would read differently from
// a stricter reader: an object holding the same key twice (the last one
// wins), or a top-level key that names a field of v in other letter case
// (matched regardless of case). A reviewer, a log or a proxy in front of
// the API could then see one request and the server act on another. data
// must be one valid JSON value.
func checkKeys(data []byte, v any) error {
	fields := fieldNames(reflect.TypeOf(v))
	dec := json.NewDecoder(bytes.NewReader(data))
	w := keyWalk{fields: fields}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return bodyError(err)
		}
		if err := w.step(tok); err != nil {
			return err
		}
	}
}

// keyWalk follows the tokens of one JSON value, remembering the keys of
// each object it is in.
type keyWalk struct {
	fields map[string]bool
	// open holds, for each container the walk is in, its keys so far;
	// nil for an array.
	open []map[string]bool
	// wantKey is set when the next token is a key or the end of an object.
	wantKey bool
}

func (w *keyWalk) step(tok json.Token) error {
	if w.wantKey {
		if tok == json.Delim('}') {
			w.close()
			return nil
		}
		w.wantKey = false
		k, ok := tok.(string)
		if !ok {
			return newError(http.StatusBadRequest, nil, "malformed JSON: a key is not a string")
		}
		return w.key(k)
	}

	switch tok {
	case json.Delim('{'):
		w.open = append(w.open, map[string]bool{})
		w.wantKey = true
	case json.Delim('['):
		w.open = append(w.open, nil)
	case json.Delim(']'):
		w.close()
	default:
		w.valueDone()
	}
	return nil
}

// key records k in the innermost object.
func (w *keyWalk) key(k string) error {
	keys := w.open[len(w.open)-1]
	if keys[k] {
		return newError(http.StatusBadRequest, nil, "field %q appears more than once", k)
	}
	if len(w.open) == 1 && w.fields != nil && !w.fields[k] {
		return newError(http.StatusBadRequest, nil, "unknown field %q", k)
	}
	keys[k] = true
	return nil
}

// close ends the innermost container, which is a value of the one around.
func (w *keyWalk) close() {
	w.open = w.open[:len(w.open)-1]
	w.wantKey = false
	w.valueDone()
}

// valueDone notes that a value ended: in an object, a key comes next.
func (w *keyWalk) valueDone() {
	if n := len(w.open); n > 0 && w.open[n-1] != nil {
		w.wantKey = true
	}
}

// fieldNames returns the JSON names of the fields of the struct t points
// to, spelled as its tags spell them; nil when t is not a struct pointer.
func fieldNames(t reflect.Type) map[string]bool {
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	names := map[string]bool{}
	for f := range t.Elem().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case name == "":
			names[f.Name] = true
		default:
			names[name] = true
		}
	}
	return names
}
