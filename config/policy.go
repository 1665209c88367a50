package config

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/jitgate/jitgate/grants"
)

// Bounds of the durations a policy block accepts.
const (
	// MaxGrantDuration is the longest max_duration a policy may allow.
	MaxGrantDuration = 7 * 24 * time.Hour
	// MaxPendingTTL is the longest a request may be left pending.
	MaxPendingTTL = 30 * 24 * time.Hour
)

// Policy is a resource's policy block, decoded into the grants.Policy it
// describes. An absent block is the zero grants.Policy, whose defaults are
// documented there. Parse remembers where each key was written, so that
// errors point at it.
type Policy struct {
	grants.Policy
	// node is the block in the file, nil when absent or built in code;
	// nodes holds the node of each key read, by its path in the block.
	node  *yaml.Node
	nodes map[string]*yaml.Node
}

// UnmarshalYAML keeps the block. Parse decodes it once it knows which
// resource it belongs to, so that errors can say so.
func (p *Policy) UnmarshalYAML(n *yaml.Node) error {
	p.node = n
	return nil
}

// MarshalYAML writes the block as it was read.
func (p Policy) MarshalYAML() (any, error) {
	return p.node, nil
}

// IsZero reports whether the block was left out of the file.
func (p Policy) IsZero() bool {
	return p.node == nil && p.nodes == nil
}

// policyDecoder decodes one policy block, recording the node of each key
// it reads by its path inside the block.
type policyDecoder struct {
	key   string
	nodes map[string]*yaml.Node
	// singleUseKey is the key of single_use: true, nil otherwise.
	singleUseKey *yaml.Node
}

// decode fills p.Policy from its block; key names the block in errors,
// such as resources[db].policy.
func (p *Policy) decode(key string) error {
	p.Policy = grants.Policy{}
	if p.node == nil {
		return nil
	}

	d := &policyDecoder{key: key, nodes: map[string]*yaml.Node{}}
	p.nodes = d.nodes
	return d.block(p.node, &p.Policy)
}

// at returns an error about the key at path sub of the block, at n.
func (d *policyDecoder) at(n *yaml.Node, sub, format string, args ...any) error {
	return errorAt(n, d.key+"."+sub, format, args...)
}

// policyKey decodes one key of a policy block into p.
type policyKey func(d *policyDecoder, kv pair, p *grants.Policy) error

// policyKeys are the keys a policy block may hold.
var policyKeys = map[string]policyKey{
	"requesters":     (*policyDecoder).requesters,
	"max_duration":   (*policyDecoder).maxDuration,
	"cap":            (*policyDecoder).cap,
	"require_reason": (*policyDecoder).requireReason,
	"ticket_pattern": (*policyDecoder).ticketPattern,
	"approvals":      (*policyDecoder).approvals,
	"approvers":      (*policyDecoder).approvers,
	"auto_approve":   (*policyDecoder).autoApprove,
	"pending_ttl":    (*policyDecoder).pendingTTL,
	"max_sessions":   (*policyDecoder).maxSessions,
	"single_use":     (*policyDecoder).singleUse,
	"idle_timeout":   (*policyDecoder).idleTimeout,
}

// block decodes every key of the policy mapping n into p.
func (d *policyDecoder) block(n *yaml.Node, p *grants.Policy) error {
	kvs, err := pairs(n, d.key)
	if err != nil {
		return err
	}

	for _, kv := range kvs {
		decode, ok := policyKeys[kv.key.Value]
		if !ok {
			return d.at(kv.key, kv.key.Value, "unknown key; known: %s",
				strings.Join(slices.Sorted(maps.Keys(policyKeys)), ", "))
		}
		d.nodes[kv.key.Value] = kv.key
		if err := decode(d, kv, p); err != nil {
			return err
		}
	}
	return d.checkSingleUse(p)
}

func (d *policyDecoder) requesters(kv pair, p *grants.Policy) (err error) {
	p.Requesters, err = d.principals(kv, "requesters")
	return err
}

func (d *policyDecoder) approvers(kv pair, p *grants.Policy) (err error) {
	p.Approvers, err = d.principals(kv, "approvers")
	return err
}

func (d *policyDecoder) maxDuration(kv pair, p *grants.Policy) (err error) {
	p.MaxDuration, err = d.duration(kv, "max_duration", time.Second, MaxGrantDuration)
	return err
}

func (d *policyDecoder) pendingTTL(kv pair, p *grants.Policy) (err error) {
	p.PendingTTL, err = d.duration(kv, "pending_ttl", time.Minute, MaxPendingTTL)
	return err
}

func (d *policyDecoder) idleTimeout(kv pair, p *grants.Policy) (err error) {
	p.IdleTimeout, err = d.duration(kv, "idle_timeout", time.Second, MaxGrantDuration)
	return err
}

func (d *policyDecoder) cap(kv pair, p *grants.Policy) (err error) {
	p.Cap, err = d.boolean(kv, "cap")
	return err
}

func (d *policyDecoder) requireReason(kv pair, p *grants.Policy) error {
	required, err := d.boolean(kv, "require_reason")
	p.ReasonOptional = !required
	return err
}

func (d *policyDecoder) approvals(kv pair, p *grants.Policy) (err error) {
	p.Approvals, err = d.number(kv, "approvals", 1, grants.MaxApprovals)
	return err
}

func (d *policyDecoder) maxSessions(kv pair, p *grants.Policy) (err error) {
	p.MaxSessions, err = d.number(kv, "max_sessions", 1, 1_000_000)
	return err
}

// singleUse is read as max_sessions: 1; checkSingleUse refuses the two
// disagreeing.
func (d *policyDecoder) singleUse(kv pair, _ *grants.Policy) error {
	on, err := d.boolean(kv, "single_use")
	if on {
		d.singleUseKey = kv.key
	}
	return err
}

func (d *policyDecoder) checkSingleUse(p *grants.Policy) error {
	if d.singleUseKey == nil {
		return nil
	}
	if p.MaxSessions > 1 {
		return d.at(d.singleUseKey, "single_use",
			"means max_sessions: 1, but max_sessions is %d", p.MaxSessions)
	}
	p.MaxSessions = 1
	return nil
}

func (d *policyDecoder) ticketPattern(kv pair, p *grants.Policy) error {
	text, err := d.text(kv, "ticket_pattern")
	if err != nil {
		return err
	}

	re, err := regexp.Compile(text)
	if err != nil {
		return d.at(kv.key, "ticket_pattern", "%q is not a regular expression: %v",
			text, err)
	}
	p.TicketPattern = re
	return nil
}

func (d *policyDecoder) autoApprove(kv pair, p *grants.Policy) error {
	v := kv.value
	if v.Kind == yaml.ScalarNode {
		if v.Value != "always" {
			return d.at(kv.key, "auto_approve",
				"%q is not accepted; want always or a list of rules", v.Value)
		}
		p.AutoApprove.Always = true
		return nil
	}
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		return d.at(kv.key, "auto_approve", "want always or a list of rules")
	}

	p.AutoApprove.Rules = make([]grants.Rule, len(v.Content))
	for i, item := range v.Content {
		sub := fmt.Sprintf("auto_approve[%d]", i)
		d.nodes[sub] = item
		if err := d.rule(deref(item), sub, &p.AutoApprove.Rules[i]); err != nil {
			return err
		}
	}
	return nil
}

// check applies grants' checks to the decoded policy. When the block came
// from a file the error points at the key at fault, or at the nearest key
// around it that was written.
func (p Policy) check(key string) error {
	err := p.Check()
	var pe *grants.PolicyError
	if !errors.As(err, &pe) {
		return err
	}

	n := p.locate(pe.Field)
	if n == nil {
		return fmt.Errorf("%w: %s.%s: %s", ErrInvalid, key, pe.Field, pe.Problem)
	}
	return errorAt(n, key+"."+pe.Field, "%s", pe.Problem)
}

// locate returns the node of field, such as auto_approve[1].window, or of
// the nearest key around it; nil when the block was not read from a file.
func (p Policy) locate(field string) *yaml.Node {
	for f := field; f != ""; f = parentField(f) {
		if n, ok := p.nodes[f]; ok {
			return n
		}
	}
	return p.node
}

// parentField strips the last key or index from a field path.
func parentField(f string) string {
	i := strings.LastIndexAny(f, ".[")
	if i < 0 {
		return ""
	}
	return f[:i]
}
