package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/grants"
)

// readmePolicy returns the YAML example of the README's Approval policy
// section.
func readmePolicy(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), "## Approval policy\n")
	require.True(t, ok, "README has no Approval policy section")
	_, example, ok := strings.Cut(section, "```yaml\n")
	require.True(t, ok, "the Approval policy section has no YAML example")
	example, _, ok = strings.Cut(example, "```")
	require.True(t, ok)
	return example
}

func TestReadmeApprovalPolicy(t *testing.T) {
	c := buildCLI(t)
	example := filepath.Join(c.dir, "policy.yaml")
	require.NoError(t, os.WriteFile(example, []byte(readmePolicy(t)), 0o600))
	checked := c.run(c.dir, "config", "check", example)
	assert.Contains(t, checked, "ok, 1 resource, 0 webhooks")
	assert.Contains(t, checked, "; grant: 3 sessions, ends idle after 15m",
		"the summary shows the grant's limits")

	demo := filepath.Join(c.dir, "demo")
	c.run(c.dir, "init", "--dir", demo)
	config := filepath.Join(demo, "jitgate.yaml")
	p := ports{freePort(t), freePort(t), freePort(t), freePort(t)}
	writeReadmeConfig(t, config, "127.0.0.1:1", p)
	serve := c.start(c.dir, "serve", "--config", config)
	c.waitServing(serve, "http://127.0.0.1:"+p.metrics+"/healthz")
	adminHome := filepath.Join(demo, "admin")
	c.pointProfile(adminHome, "localhost:"+p.admin)
	fp := c.fingerprint(filepath.Join(demo, "ca", "root.crt"))
	alice, bob := filepath.Join(c.dir, "alice"), filepath.Join(c.dir, "bob")
	c.login(adminHome, alice, "alice", "requester", "localhost:"+p.admin, fp)
	c.login(adminHome, bob, "bob", "approver", "localhost:"+p.admin, fp)

	pending := c.requestJSON(alice, "postgres")
	require.Equal(t, grants.RequestPending, pending.State)
	assert.Contains(t, c.run(bob, "requests", "--pending"), pending.ID)
	assert.Contains(t, c.run(alice, "requests", "show", pending.ID),
		"needs 1 approval from any approver")

	c.reloadWith(serve.Process, config, "  policy:\n    auto_approve: always\n")
	c.waitForPolicy(alice, "postgres", "always")
	approved := c.requestJSON(alice, "postgres", "--wait")
	assert.Equal(t, grants.RequestApproved, approved.State)
	assert.Equal(t, grants.RuleAlways, approved.Rule)

	assert.Contains(t, c.fails(bob, "deny", pending.ID), "say why it is denied")
	assert.Contains(t, c.run(alice, "requests", "show", pending.ID), "pending")
	c.run(bob, "deny", pending.ID, "--reason", "asked twice")
	assert.Contains(t, c.run(alice, "requests", "show", pending.ID),
		"denied by bob: asked twice")
}

// waitServing waits until url answers 200, failing with what serve wrote
// when it does not in time.
func (c *cli) waitServing(serve *exec.Cmd, url string) {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("jitgate serve is not healthy after a minute: %s", serve.Stderr)
}

// requestJSON runs jitgate request for resource as the profile in home
// and returns the request it printed.
func (c *cli) requestJSON(home, resource string, extra ...string) requestResult {
	c.t.Helper()
	args := append([]string{"request", resource, "--for", "5m", "--reason",
		"readme policy", "-o", "json"}, extra...)
	var res requestResult
	require.NoError(c.t, json.Unmarshal([]byte(c.run(home, args...)), &res))
	return res
}

// reloadWith appends lines to the config file, checks it and sends the
// server SIGHUP.
func (c *cli) reloadWith(serve interface{ Signal(os.Signal) error }, path, lines string) {
	c.t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(c.t, err)
	_, err = f.WriteString(lines)
	require.NoError(c.t, err)
	require.NoError(c.t, f.Close())

	c.run(c.dir, "config", "check", path)
	require.NoError(c.t, serve.Signal(syscall.SIGHUP))
}

// waitForPolicy waits until the profile in home sees resource with the
// auto_approve mode given.
func (c *cli) waitForPolicy(home, resource, mode string) {
	c.t.Helper()
	require.Eventually(c.t, func() bool {
		var list []admin.ResourceInfo
		out := c.run(home, "resources", "-o", "json")
		require.NoError(c.t, json.Unmarshal([]byte(out), &list))
		for _, r := range list {
			if r.Name == resource {
				return r.Policy.AutoApprove == mode
			}
		}
		return false
	}, 20*time.Second, 200*time.Millisecond, "the reload did not apply")
}
