package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"
)

// Kex is the key exchange of a comparison. Clients offer it, and servers
// that can be configured accept only it.
type Kex string

// The key exchanges compared.
const (
	// KexX25519 is X25519 alone: what nginx and HAProxy built with OpenSSL
	// 3.0 support, and jitgate with tls.curves: [x25519].
	KexX25519 Kex = "x25519"
	// KexHybrid is Go's default preference, the post-quantum hybrid
	// X25519MLKEM768 first; only the Go servers support it.
	KexHybrid Kex = "hybrid"
)

// curves returns the -curves value of k for jgserve and jgload.
func (k Kex) curves() string {
	if k == KexX25519 {
		return "x25519"
	}
	return ""
}

// The servers a comparison can run.
const (
	ServerJitgate = "jitgate"
	ServerBare    = "bare"
	ServerNginx   = "nginx"
	ServerHAProxy = "haproxy"
)

// peerConf is what the peers' configuration templates need.
type peerConf struct {
	Fixture  string
	Run      string
	Listen   string
	Upstream string
	MaxConns int
}

// nginxTemplate is nginx's stream proxy with client certificates required
// and verified against the fixture's bundle, one worker.
var nginxTemplate = template.Must(template.New("nginx").Parse(`
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
worker_processes 1;
worker_rlimit_nofile {{.MaxConns}};
pid {{.Run}}/nginx.pid;
error_log {{.Run}}/nginx.log warn;
events {
    worker_connections {{.MaxConns}};
}
stream {
    server {
        listen {{.Listen}} ssl;
        ssl_certificate {{.Fixture}}/server.crt;
        ssl_certificate_key {{.Fixture}}/server.key;
        ssl_client_certificate {{.Fixture}}/ca.pem;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ecdh_curve X25519;
        ssl_session_cache shared:bench:10m;
        proxy_pass {{.Upstream}};
    }
}
`))

// haproxyTemplate is HAProxy in TCP mode with client certificates required
// and verified against the fixture's bundle, one thread.
var haproxyTemplate = template.Must(template.New("haproxy").Parse(`
global
    nbthread 1
    maxconn {{.MaxConns}}
    log stderr format raw local0 warning
defaults
    mode tcp
    log global
    timeout connect 10s
    timeout client 1h
    timeout server 1h
frontend bench
    bind {{.Listen}} ssl crt {{.Run}}/haproxy.pem ca-file {{.Fixture}}/ca.pem verify required curves X25519
    default_backend echo
backend echo
    server echo {{.Upstream}}
`))

// peerCommand writes the configuration of the peer name into c.Run and
// returns the command that runs it in the foreground.
func peerCommand(name string, c peerConf) ([]string, error) {
	switch name {
	case ServerNginx:
		conf := filepath.Join(c.Run, "nginx.conf")
		return []string{"nginx", "-e", filepath.Join(c.Run, "nginx.log"),
			"-p", c.Run, "-c", conf}, render(nginxTemplate, conf, c)
	case ServerHAProxy:
		if err := haproxyPEM(c); err != nil {
			return nil, err
		}
		conf := filepath.Join(c.Run, "haproxy.cfg")
		return []string{"haproxy", "-db", "-f", conf}, render(haproxyTemplate, conf, c)
	}
	return nil, fmt.Errorf("no peer %q", name)
}

// render writes t for c to path.
func render(t *template.Template, path string, c peerConf) error {
	var b strings.Builder
	if err := t.Execute(&b, c); err != nil {
		return fmt.Errorf("render %s: %w", path, err)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// haproxyPEM writes the serving chain and its key into one file, as
// HAProxy's crt wants them.
func haproxyPEM(c peerConf) error {
	var pem []byte
	for _, name := range []string{ServerCertFile, ServerKeyFile} {
		b, err := os.ReadFile(filepath.Join(c.Fixture, name))
		if err != nil {
			return err
		}
		pem = append(pem, b...)
	}
	return os.WriteFile(filepath.Join(c.Run, "haproxy.pem"), pem, 0o600)
}

// installed reports whether the peer's program is on the PATH.
func installed(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

// version returns the first line of the program's version output.
func version(argv ...string) string {
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}
