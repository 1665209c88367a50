package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/jitgate/jitgate/grants"
)

// scalar returns the value of kv when it is a single plain value.
func (d *policyDecoder) scalar(kv pair, sub, want string) (string, error) {
	if kv.value.Kind != yaml.ScalarNode || kv.value.Tag == "!!null" {
		return "", d.at(kv.key, sub, "want %s", want)
	}
	return kv.value.Value, nil
}

func (d *policyDecoder) text(kv pair, sub string) (string, error) {
	s, err := d.scalar(kv, sub, "a text")
	if err == nil && s == "" {
		err = d.at(kv.key, sub, "must not be empty")
	}
	return s, err
}

func (d *policyDecoder) boolean(kv pair, sub string) (bool, error) {
	s, err := d.scalar(kv, sub, "true or false")
	if err != nil {
		return false, err
	}

	switch s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, d.at(kv.key, sub, "%q is not accepted; want true or false", s)
}

func (d *policyDecoder) number(kv pair, sub string, lo, hi int) (int, error) {
	want := fmt.Sprintf("a whole number from %d to %d", lo, hi)
	s, err := d.scalar(kv, sub, want)
	if err != nil {
		return 0, err
	}

	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, d.at(kv.key, sub, "%q is not accepted; want %s", s, want)
	}
	return n, nil
}

// duration reads a Go duration from lo to hi.
func (d *policyDecoder) duration(kv pair, sub string, lo, hi time.Duration,
) (time.Duration, error) {
	want := fmt.Sprintf("a duration such as 30m or 8h, from %s to %s",
		grants.FormatDuration(lo), grants.FormatDuration(hi))
	s, err := d.scalar(kv, sub, want)
	if err != nil {
		return 0, err
	}

	v, err := time.ParseDuration(s)
	if err != nil || v < lo || v > hi {
		return 0, d.at(kv.key, sub, "%q is not accepted; want %s", s, want)
	}
	return v, nil
}

// principals reads a list of user names and group:NAME entries.
func (d *policyDecoder) principals(kv pair, sub string) ([]grants.Principal, error) {
	v := kv.value
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		return nil, d.at(kv.key, sub, "want a list of user names and group:NAME")
	}

	out := make([]grants.Principal, len(v.Content))
	for i, item := range v.Content {
		item = deref(item)
		path := fmt.Sprintf("%s[%d]", sub, i)
		d.nodes[path] = item
		p, err := grants.ParsePrincipal(item.Value)
		if err != nil || item.Kind != yaml.ScalarNode {
			return nil, d.at(item, path, "%q is not a user name or group:NAME; "+
				"names are 1 to 63 of a-z 0-9 . _ -", item.Value)
		}
		out[i] = p
	}
	return out, nil
}

// ruleKeys are the keys of one rule of auto_approve.
var ruleKeys = []string{"name", "requesters", "max_duration", "window", "ticket"}

// rule decodes one rule of auto_approve, at path sub.
func (d *policyDecoder) rule(n *yaml.Node, sub string, r *grants.Rule) error {
	kvs, err := pairs(n, d.key+"."+sub)
	if err != nil {
		return err
	}

	for _, kv := range kvs {
		path := sub + "." + kv.key.Value
		d.nodes[path] = kv.key
		if err := d.ruleKey(kv, path, r); err != nil {
			return err
		}
	}
	if r.Name == "" {
		return d.at(n, sub+".name", "every rule needs a name")
	}
	return nil
}

func (d *policyDecoder) ruleKey(kv pair, path string, r *grants.Rule) (err error) {
	switch kv.key.Value {
	case "name":
		r.Name, err = d.text(kv, path)
	case "requesters":
		r.Requesters, err = d.principals(kv, path)
	case "max_duration":
		r.MaxDuration, err = d.duration(kv, path, time.Second, MaxGrantDuration)
	case "ticket":
		r.Ticket, err = d.boolean(kv, path)
	case "window":
		r.Window, err = d.window(kv, path)
	default:
		err = d.at(kv.key, path, "unknown key; known: %s", strings.Join(ruleKeys, ", "))
	}
	return err
}

func (d *policyDecoder) window(kv pair, path string) (*grants.Window, error) {
	s, err := d.text(kv, path)
	if err != nil {
		return nil, err
	}

	w, err := grants.ParseWindow(s)
	if err != nil {
		return nil, d.at(kv.key, path, "%v", err)
	}
	return &w, nil
}
