package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
)

// Webhook is one receiver of audit events: a POST per request created,
// approved, denied, expired or cancelled, and per grant revoked, released
// or ended.
type Webhook struct {
	// Name labels the webhook's logs and metrics and keys its place in the
	// audit trail: a new or renamed webhook starts from the newest event
	// rather than replaying history.
	Name string `yaml:"name"`
	// URL receives the deliveries: https, or http to a loopback address.
	// Keep a Slack URL, which is a credential, as private as the file.
	URL string `yaml:"url"`
	// SecretFile holds the HMAC-SHA256 signing secret, at least 16 bytes.
	// A relative path is taken from the config file's directory. Required
	// for format json; optional for slack, whose receiver checks nothing.
	SecretFile string `yaml:"secret_file,omitempty"`
	// Format is json or slack; empty means json.
	Format string `yaml:"format,omitempty"`
	// Events lists the event names to send (see WebhookEvents); empty
	// means all.
	Events []string `yaml:"events,omitempty"`
	// Resources lists the resources whose events to send; empty means all.
	Resources []string `yaml:"resources,omitempty"`
}

// The formats a webhook can post.
const (
	WebhookJSON  = "json"
	WebhookSlack = "slack"
)

// WebhookEvents are the names a webhook's events may list; they are the
// notify package's events, which a test of that package keeps in step.
var WebhookEvents = []string{
	"grant.ended", "grant.released", "grant.revoked",
	"request.approved", "request.cancelled", "request.created",
	"request.denied", "request.expired",
}

func (c *Config) validateWebhooks() error {
	resources := make(map[string]bool, len(c.Resources))
	for _, r := range c.Resources {
		resources[r.Name] = true
	}

	names := map[string]bool{}
	for i, w := range c.Webhooks {
		key := fmt.Sprintf("webhooks[%d]", i)
		if !namePattern.MatchString(w.Name) {
			return invalid(key+".name", w.Name, "lower-case letters, digits, '.', '_' or '-'")
		}
		if names[w.Name] {
			return invalid(key+".name", w.Name, "a name no other webhook has")
		}
		names[w.Name] = true
		if err := w.validate(fmt.Sprintf("webhooks[%s]", w.Name), resources); err != nil {
			return err
		}
	}
	return nil
}

func (w Webhook) validate(key string, resources map[string]bool) error {
	if err := checkWebhookURL(key+".url", w.URL); err != nil {
		return err
	}
	switch w.Format {
	case "", WebhookJSON:
		if w.SecretFile == "" {
			return fmt.Errorf("%w: %s.secret_file: required for format json",
				ErrInvalid, key)
		}
	case WebhookSlack:
	default:
		return invalid(key+".format", w.Format, "json or slack")
	}

	for i, e := range w.Events {
		if !slices.Contains(WebhookEvents, e) || slices.Contains(w.Events[:i], e) {
			return invalid(fmt.Sprintf("%s.events[%d]", key, i), e,
				fmt.Sprintf("one of %v, each once", WebhookEvents))
		}
	}
	for i, r := range w.Resources {
		if !resources[r] || slices.Contains(w.Resources[:i], r) {
			return invalid(fmt.Sprintf("%s.resources[%d]", key, i), r,
				"the name of a configured resource, each once")
		}
	}
	return nil
}

// checkWebhookURL accepts an absolute https URL without user information,
// or an http one to a loopback address: a delivery carries who asked for
// what and why, and a Slack URL's path is its credential, so neither
// crosses a network in the clear. Errors show the scheme and host only.
func checkWebhookURL(key, raw string) error {
	const want = "an https URL with a host and no user:password " +
		"(http only to a loopback address such as 127.0.0.1)"
	u, err := url.Parse(raw)
	if err != nil {
		return invalid(key, "(does not parse)", want)
	}

	shown := u.Scheme + "://" + u.Host + "/..."
	plainHere := u.Scheme == "http" && isLoopback(u.Hostname())
	if (u.Scheme != "https" && !plainHere) || u.Host == "" || u.User != nil {
		return invalid(key, shown, want)
	}
	return nil
}

// isLoopback reports whether host is a loopback address. A name, even
// localhost, is not: what it resolves to is up to the resolver.
func isLoopback(host string) bool {
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// resolveSecretFiles makes relative secret_file paths relative to base,
// the config file's directory.
func (c *Config) resolveSecretFiles(base string) {
	for i, w := range c.Webhooks {
		if w.SecretFile != "" && !filepath.IsAbs(w.SecretFile) {
			c.Webhooks[i].SecretFile = filepath.Join(base, w.SecretFile)
		}
	}
}
