package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const webhooksConfig = `
resources:
  - name: db
    upstream: 127.0.0.1:5432
    listen: 127.0.0.1:15432
webhooks:
  - name: ops
    url: https://hooks.example.test/jitgate
    secret_file: secrets/ops.key
    events: [request.created, request.approved]
    resources: [db]
  - name: approvers
    url: https://hooks.slack.com/services/T000/B000/example
    format: slack
  - name: audit
    url: http://127.0.0.1:8080/in
    secret_file: /etc/jitgate/audit.key
`

func TestLoadWebhooks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	require.NoError(t, os.WriteFile(path, []byte(webhooksConfig), 0o600))

	c, err := Load(path)
	require.NoError(t, err)

	require.Len(t, c.Webhooks, 3)
	assert.Equal(t, Webhook{
		Name: "ops", URL: "https://hooks.example.test/jitgate",
		SecretFile: filepath.Join(dir, "secrets", "ops.key"),
		Events:     []string{"request.created", "request.approved"},
		Resources:  []string{"db"},
	}, c.Webhooks[0])
	assert.Equal(t, WebhookSlack, c.Webhooks[1].Format)
	assert.Empty(t, c.Webhooks[1].SecretFile)
	assert.Equal(t, "/etc/jitgate/audit.key", c.Webhooks[2].SecretFile)
}

func TestWebhookOverHTTPOnlyToThisHost(t *testing.T) {
	for _, url := range []string{"http://127.0.0.1:9000/hook", "http://[::1]:9000/hook",
		"https://hooks.example.test/hook", "https://localhost/hook"} {
		assert.NoError(t, checkWebhookURL("url", url), url)
	}
	// A name may resolve anywhere, localhost included.
	assert.Error(t, checkWebhookURL("url", "http://localhost/hook"))
}

func TestWebhooksRefused(t *testing.T) {
	const base = "resources: [{name: db, upstream: 'h:1', hostname: db.test}]\n" +
		"webhooks:\n"
	cases := []struct {
		name, hook, want string
	}{
		{"bad name", "- {name: Ops!, url: 'https://h/x', secret_file: k}",
			`webhooks[0].name: "Ops!"`},
		{"twice", "- {name: ops, url: 'https://h/x', secret_file: k}\n" +
			"- {name: ops, url: 'https://h/y', secret_file: k}",
			`webhooks[1].name: "ops" is not accepted; want a name no other webhook has`},
		{"ftp", "- {name: ops, url: 'ftp://h/secret-path', secret_file: k}",
			`webhooks[ops].url: "ftp://h/..."`},
		{"http to another host", "- {name: ops, " +
			"url: 'http://hooks.example.test/secret-path', secret_file: k}", `webhooks[ops].url: "http://hooks.example.test/..." is not ` +
			`accepted; want an https URL with a host and no user:password (http only to ` +
			`a loopback address such as 127.0.0.1)`},
		{"http to a private address", "- {name: ops, url: 'http://10.0.0.8:8080/x', " +
			"secret_file: k}", `webhooks[ops].url: "http://10.0.0.8:8080/..."`},
		{"no host", "- {name: ops, url: '/relative', secret_file: k}",
			`webhooks[ops].url: ":///..."`},
		{"credentials", "- {name: ops, url: 'https://u:pw@h/x', secret_file: k}",
			`webhooks[ops].url: "https://h/..."`},
		{"unparsable", "- {name: ops, url: 'https://h/%zz', secret_file: k}",
			`webhooks[ops].url: "(does not parse)"`},
		{"json needs a secret", "- {name: ops, url: 'https://h/x'}",
			"webhooks[ops].secret_file: required for format json"},
		{"unknown format", "- {name: ops, url: 'https://h/x', format: xml}",
			`webhooks[ops].format: "xml"`},
		{"unknown event", "- {name: ops, url: 'https://h/x', format: slack, " +
			"events: [request.create]}", `webhooks[ops].events[0]: "request.create"`},
		{"repeated event", "- {name: ops, url: 'https://h/x', format: slack, " +
			"events: [grant.ended, grant.ended]}", `webhooks[ops].events[1]: "grant.ended"`},
		{"unknown resource", "- {name: ops, url: 'https://h/x', format: slack, " +
			"resources: [web]}", `webhooks[ops].resources[0]: "web"`},
		{"unknown key", "- {name: ops, url: 'https://h/x', secret: k}",
			"3:35: secret: unknown key in a webhook; known: name, url, secret_file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(base + tc.hook + "\n"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "secret-path")
			assert.NotContains(t, err.Error(), "pw@")
		})
	}
}

func TestDefaultConfigHasNoWebhooks(t *testing.T) {
	b, err := Default().Marshal()
	require.NoError(t, err)
	assert.NotContains(t, string(b), "webhooks")
}
