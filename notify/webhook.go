package notify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"slices"

	"github.com/jitgate/jitgate/fileperm"
)

// Format is the shape of a delivery's body.
type Format string

// The formats a webhook can post.
const (
	// FormatJSON posts a Payload.
	FormatJSON Format = "json"
	// FormatSlack posts a Slack incoming-webhook message: {"text": ...}.
	FormatSlack Format = "slack"
)

// MinSecretLength is the shortest signing secret accepted, in bytes.
const MinSecretLength = 16

// Webhook is one receiver of events.
type Webhook struct {
	// Name labels the webhook's logs and metrics and keys its cursor in the
	// store; a renamed webhook starts afresh from the newest event.
	Name string
	// URL is where deliveries are posted, http or https. It is never
	// logged: a Slack webhook URL is itself a credential.
	URL string
	// Secret signs every delivery. It is required, at least
	// MinSecretLength bytes, for FormatJSON; it may be empty for
	// FormatSlack, whose receiver checks no signature.
	Secret []byte
	// Format is the body's shape; empty means FormatJSON.
	Format Format
	// Events are the webhook event names to send; empty means all.
	Events []string
	// Resources are the resources whose events to send; empty means all.
	Resources []string
}

// check reports the first problem with w.
func (w Webhook) check() error {
	if w.Name == "" {
		return errors.New("webhook: name is empty")
	}
	if err := checkURL(w.URL); err != nil {
		return fmt.Errorf("webhook %s: %w", w.Name, err)
	}
	switch w.Format {
	case "", FormatJSON:
		if len(w.Secret) < MinSecretLength {
			return fmt.Errorf("webhook %s: secret of %d bytes, want %d or more: %w",
				w.Name, len(w.Secret), MinSecretLength, ErrWeakSecret)
		}
	case FormatSlack:
	default:
		return fmt.Errorf("webhook %s: format %q, want json or slack", w.Name, w.Format)
	}
	for _, e := range w.Events {
		if !knownEvent(e) {
			return fmt.Errorf("webhook %s: unknown event %q, want one of %v",
				w.Name, e, EventNames())
		}
	}
	return nil
}

// checkURL accepts an absolute http or https URL without credentials. The
// URL itself is left out of errors.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("url does not parse")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("url scheme %q, want http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("url has no host")
	}
	if u.User != nil {
		return errors.New("url carries credentials; use the signing secret")
	}
	return nil
}

// wants reports whether w sends event.
func (w Webhook) wants(event string) bool {
	return len(w.Events) == 0 || slices.Contains(w.Events, event)
}

// covers reports whether w sends events about resource.
func (w Webhook) covers(resource string) bool {
	return len(w.Resources) == 0 || slices.Contains(w.Resources, resource)
}

// secretForbiddenBits are the mode bits a secret file must not have: it is
// for its owner alone, like a CA key.
const secretForbiddenBits fs.FileMode = 0o077

// ReadSecret reads a signing secret from the file at path, without its
// surrounding white space. It refuses a file that its group or others may
// read or write, and a secret shorter than MinSecretLength. Errors name
// the file, never its content.
func ReadSecret(path string) ([]byte, error) {
	b, err := readPrivate(path)
	if err != nil {
		return nil, err
	}

	secret := bytes.TrimSpace(b)
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("webhook secret %s: %d bytes, want %d or more: %w",
			path, len(secret), MinSecretLength, ErrWeakSecret)
	}
	return secret, nil
}

// readPrivate reads the file at path after checking the mode of the open
// file, so that the file read is the file checked.
func readPrivate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read webhook secret: %w", err)
	}
	defer f.Close()

	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read webhook secret: %w", err)
	}
	if mode := info.Mode().Perm(); mode&secretForbiddenBits != 0 {
		return nil, fmt.Errorf("webhook secret %s has mode %04o, want 0600 or "+
			"stricter: %w", path, uint32(mode), ErrSecretPermissions)
	}
	if err := fileperm.CheckOwner("webhook secret", path, info); err != nil {
		return nil, err
	}

	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read webhook secret %s: %w", path, err)
	}
	return b, nil
}
