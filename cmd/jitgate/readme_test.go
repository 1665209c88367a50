package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

// cli runs the built jitgate binary the way the README does.
type cli struct {
	t   *testing.T
	bin string
	dir string
}

func buildCLI(t *testing.T) *cli {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and drives the binary; skipped under -short")
	}
	for _, tool := range []string{"curl", "openssl", "psql"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (scripts/test-deps installs it): %v", tool, err)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "jitgate")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return &cli{t: t, bin: bin, dir: dir}
}

// command is jitgate with args, run as the profile in home.
func (c *cli) command(home string, args ...string) *exec.Cmd {
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(os.Environ(), "JITGATE_HOME="+home)
	return cmd
}

// run runs jitgate as the profile in home and returns its standard output.
func (c *cli) run(home string, args ...string) string {
	c.t.Helper()
	cmd := c.command(home, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(c.t, err, "jitgate %s: %s", strings.Join(args, " "), stderr.String())
	return string(out)
}

// fails runs jitgate as the profile in home, requires it to fail and
// returns what it wrote to standard error.
func (c *cli) fails(home string, args ...string) string {
	c.t.Helper()
	cmd := c.command(home, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.Error(c.t, err, "jitgate %s succeeded: %s", strings.Join(args, " "), out)
	return stderr.String()
}

// start runs jitgate in the background until the test ends.
func (c *cli) start(home string, args ...string) *exec.Cmd {
	c.t.Helper()
	cmd := c.command(home, args...)
	cmd.Stdout = &bytes.Buffer{}
	cmd.Stderr = &bytes.Buffer{}
	require.NoError(c.t, cmd.Start())
	c.t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	return cmd
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// ports of one test run.
type ports struct{ proxy, admin, metrics, pg string }

func writeReadmeConfig(t *testing.T, path, api string, p ports) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s := strings.Replace(string(b), "resources: []", "resources:", 1)
	s = strings.NewReplacer(":8443", "127.0.0.1:"+p.proxy, ":8444", "127.0.0.1:"+p.admin,
		":9100", "127.0.0.1:"+p.metrics).Replace(s)
	s += fmt.Sprintf("- name: api\n  upstream: %s\n  hostname: api.localhost\n", api)
	s += fmt.Sprintf("- name: postgres\n  upstream: 127.0.0.1:5432\n"+
		"  listen: 127.0.0.1:%s\n", p.pg)
	require.NoError(t, os.WriteFile(path, []byte(s), 0o600))
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	require.Eventually(t, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 20*time.Second, 100*time.Millisecond, "jitgate serve did not become healthy")
}

func TestReadmeWalkThrough(t *testing.T) {
	c := buildCLI(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "hello from the api")
	}))
	defer api.Close()

	demo := filepath.Join(c.dir, "demo")
	initOut := c.run(c.dir, "init", "--dir", demo)
	p := ports{freePort(t), freePort(t), freePort(t), freePort(t)}
	writeReadmeConfig(t, filepath.Join(demo, "jitgate.yaml"), api.Listener.Addr().String(), p)
	c.start(c.dir, "serve", "--config", filepath.Join(demo, "jitgate.yaml"))
	waitHealthy(t, "http://127.0.0.1:"+p.metrics+"/healthz")

	// The test serves on free ports instead of the defaults, so the admin
	// profile init wrote must point at the admin API's port.
	adminHome := filepath.Join(demo, "admin")
	c.pointProfile(adminHome, "localhost:"+p.admin)
	fp := c.fingerprint(filepath.Join(demo, "ca", "root.crt"))
	assert.Contains(t, initOut, fp, "init prints the fingerprint login accepts")
	alice, bob := filepath.Join(c.dir, "alice"), filepath.Join(c.dir, "bob")
	server := "localhost:" + p.admin
	c.login(adminHome, alice, "alice", "requester", server, fp)
	c.login(adminHome, bob, "bob", "approver", server, fp)
	c.run(alice, "login", "--renew")

	g := c.requestApproved(alice, bob, "api")
	body := c.curl(g, "https://api.localhost:"+p.proxy+"/")
	assert.Equal(t, "hello from the api\n", body)
	out, ok := c.sClient(g, "127.0.0.1:"+p.proxy, true)
	assert.True(t, ok, out)
	assert.Contains(t, out, "hello from the api")
	out, ok = c.sClient(g, "127.0.0.1:"+p.proxy, false)
	assert.False(t, ok, "s_client without a client certificate got through: %s", out)
	assert.Contains(t, out, "alert bad certificate")
	assert.NotContains(t, out, "hello from the api")
	_, err := exec.Command("curl", "-sSf", "--cacert", g.CAFile,
		"https://api.localhost:"+p.proxy+"/").CombinedOutput()
	assert.Error(t, err, "curl without a client certificate must be refused")

	pg := c.requestApproved(alice, bob, "postgres")
	tunnel := freePort(t)
	connect := c.start(alice, "connect", "postgres", "--listen", "127.0.0.1:"+tunnel)
	c.psql(tunnel)

	c.run(adminHome, "revoke", pg.ID, "--reason", "done")
	_, err = psqlCommand(tunnel).CombinedOutput()
	assert.Error(t, err, "psql must be refused once the grant is revoked")
	c.requireExit(connect, 3, "connect must end when its grant is revoked")
	grantsJSON := c.run(adminHome, "grants", "--all", "-o", "json")
	assert.Contains(t, grantsJSON, `"state": "revoked"`)
}

func (c *cli) fingerprint(rootPath string) string {
	out, err := exec.Command("openssl", "x509", "-in", rootPath, "-noout",
		"-fingerprint", "-sha256").Output()
	require.NoError(c.t, err)
	_, fp, ok := strings.Cut(strings.TrimSpace(string(out)), "=")
	require.True(c.t, ok, string(out))
	return fp
}

func (c *cli) login(adminHome, home, name, roles, server, fp string) {
	token := strings.TrimSpace(c.run(adminHome, "users", "add", name, "--roles", roles))
	require.NotEmpty(c.t, token)
	c.run(home, "login", "--server", server, "--token", token, "--ca-fingerprint", fp)
}

// requestApproved runs request --wait as requester, approves it as approver
// once it shows as pending, and returns the printed grant.
func (c *cli) requestApproved(requester, approver, resource string) grantFiles {
	c.t.Helper()
	wait := c.start(requester, "request", resource, "--for", "15m",
		"--reason", "readme walk-through", "--wait", "-o", "json")
	id := c.pendingID(approver, resource)
	c.run(approver, "approve", id)

	done := make(chan error, 1)
	go func() { done <- wait.Wait() }()
	select {
	case err := <-done:
		require.NoError(c.t, err, wait.Stderr.(*bytes.Buffer).String())
	case <-time.After(20 * time.Second):
		c.t.Fatal("request --wait did not return after approval")
	}
	var res requestResult
	require.NoError(c.t, json.Unmarshal(wait.Stdout.(*bytes.Buffer).Bytes(), &res))
	require.Equal(c.t, grants.RequestApproved, res.State)
	require.NotNil(c.t, res.Grant)
	assert.FileExists(c.t, res.Grant.KeyFile)
	assert.NoDirExists(c.t, filepath.Join(requester, requestsDir, res.ID),
		"the key lives beside its certificate only")
	return *res.Grant
}

func (c *cli) pendingID(approver, resource string) string {
	var id string
	require.Eventually(c.t, func() bool {
		var reqs []struct{ ID, State, Resource string }
		out := c.run(approver, "requests", "-o", "json")
		require.NoError(c.t, json.Unmarshal([]byte(out), &reqs))
		for _, r := range reqs {
			if r.State == "pending" && r.Resource == resource {
				id = r.ID
				return true
			}
		}
		return false
	}, 20*time.Second, 200*time.Millisecond)
	return id
}

func (c *cli) curl(g grantFiles, url string) string {
	out, err := exec.Command("curl", "-sSf", "--cacert", g.CAFile, "--cert", g.CertFile,
		"--key", g.KeyFile, url).CombinedOutput()
	require.NoError(c.t, err, string(out))
	return string(out)
}

// sClient sends an HTTP request through openssl s_client as the README
// does, with the grant's certificate when cert is set, and returns what
// came back and whether s_client succeeded.
func (c *cli) sClient(g grantFiles, addr string, cert bool) (string, bool) {
	args := []string{"s_client", "-quiet", "-connect", addr, "-servername",
		"api.localhost", "-CAfile", g.CAFile}
	if cert {
		args = append(args, "-cert", g.CertFile, "-key", g.KeyFile)
	}
	cmd := exec.Command("openssl", args...)
	cmd.Stdin = strings.NewReader("GET / HTTP/1.0\r\n\r\n")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func psqlCommand(port string) *exec.Cmd {
	cmd := exec.Command("psql", "-X", "-At",
		"host=127.0.0.1 port="+port+" dbname=test user=postgres sslmode=disable",
		"-c", "select 40 + 2")
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5")
	return cmd
}

func (c *cli) psql(port string) {
	c.t.Helper()
	var out []byte
	require.Eventually(c.t, func() bool {
		var err error
		out, err = psqlCommand(port).CombinedOutput()
		return err == nil
	}, 10*time.Second, 200*time.Millisecond, "psql through jitgate connect: %s", out)
	line, _ := bufio.NewReader(bytes.NewReader(out)).ReadString('\n')
	assert.Equal(c.t, "42", strings.TrimSpace(line))
}

func (c *cli) pointProfile(home, server string) {
	path := filepath.Join(home, profileFile)
	b, err := os.ReadFile(path)
	require.NoError(c.t, err)
	var p profile
	require.NoError(c.t, json.Unmarshal(b, &p))
	p.Server = server
	b, err = json.Marshal(p)
	require.NoError(c.t, err)
	require.NoError(c.t, os.WriteFile(path, b, 0o600))
}

// requireExit waits for a background jitgate to exit with code.
func (c *cli) requireExit(cmd *exec.Cmd, code int, msg string) {
	c.t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		assert.Equal(c.t, code, cmd.ProcessState.ExitCode(), "%s: %s", msg,
			cmd.Stderr.(*bytes.Buffer).String())
	case <-time.After(10 * time.Second):
		c.t.Fatal(msg)
	}
}
