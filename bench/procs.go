package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// startTimeout bounds how long a started server takes to answer.
const startTimeout = 15 * time.Second

// Running is a server process the harness started, pinned to a core.
type Running struct {
	Name string
	// Addr is where clients connect; Control is a gateway's control address.
	Addr    string
	Control string
	Process
	cmd    *exec.Cmd
	exited chan struct{}
	// err is how the process ended, once exited is closed.
	err error
}

// startPinned starts argv pinned to core with taskset, in a process group
// of its own, its output appended to logPath.
func startPinned(name string, core int, logPath string, argv ...string) (*Running, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer log.Close()

	args := append([]string{"-c", strconv.Itoa(core)}, argv...)
	cmd := exec.Command("taskset", args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}

	r := &Running{Name: name, Process: Process{PID: cmd.Process.Pid}, cmd: cmd,
		exited: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()
	return r, nil
}

// Exited reports whether the process has ended.
func (r *Running) Exited() bool {
	select {
	case <-r.exited:
		return true
	default:
		return false
	}
}

// Stop ends the server's process group and waits for the server.
func (r *Running) Stop() {
	if r == nil {
		return
	}
	// A group already gone answers ESRCH, which is what Stop wants.
	_ = syscall.Kill(-r.PID, syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-r.PID, syscall.SIGKILL)
		<-r.exited
	}
}

// waitTLS waits until a full handshake with client succeeds on addr, or
// exited reports that the process ended.
func waitTLS(ctx context.Context, addr string, client *tls.Config,
	exited func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	var last error
	for ctx.Err() == nil {
		if exited() {
			return errors.New("server exited before it answered")
		}
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: time.Second}, Config: client}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			err = echoOnce(c, message(8), make([]byte, 8))
			c.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no answer on %s within %s: %w", addr, startTimeout, last)
}

// freePort returns a loopback address with a port free at the time.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
