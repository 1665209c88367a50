package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/ca"
)

const loginHelp = `Enrol this machine with a jitgate server. A key pair is made here, a
certificate request goes to the admin API with the one-time enrolment token, and
the identity certificate that comes back is stored under $JITGATE_HOME.

The server is trusted only if its CA root has the SHA-256 fingerprint given
with --ca-fingerprint (jitgate init prints it).

With --renew, swap the current identity certificate for a fresh one instead; this
works up to 7 days after enrolment, then a new token is needed.`

func newLoginCommand() *cobra.Command {
	var server, token, tokenFile, fingerprint string
	var renew bool
	cmd := &cobra.Command{
		Use:   "login --server HOST:PORT --token TOKEN --ca-fingerprint SHA256",
		Short: "Enrol with a jitgate server and store an identity certificate",
		Long:  loginHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if renew {
				return renewLogin(cmd)
			}
			tok, err := readToken(cmd.ErrOrStderr(), token, tokenFile)
			if err != nil {
				return err
			}
			return login(cmd, server, tok, fingerprint)
		},
	}
	f := cmd.Flags()
	f.StringVar(&server, "server", "", "admin API address, HOST:PORT")
	f.StringVar(&token, "token", "", "one-time enrolment token")
	f.StringVar(&tokenFile, "token-file", "", "read the enrolment token from this file (- for stdin)")
	f.StringVar(&fingerprint, "ca-fingerprint", "", "SHA-256 fingerprint of the server's CA root")
	f.BoolVar(&renew, "renew", false, "renew the current identity certificate now")
	return cmd
}

// readToken returns the token given on the command line or read from
// file, and warns on stderr about a token file others may read: the token
// is as good as a password until it is redeemed.
func readToken(stderr io.Writer, token, file string) (string, error) {
	if token != "" && file != "" {
		return "", errors.New("give --token or --token-file, not both")
	}
	if file == "" {
		return token, nil
	}
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		warnIfShared(stderr, file)
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return "", fmt.Errorf("read --token-file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("--token-file %s holds no token", file)
	}
	return tok, nil
}

// warnIfShared warns when users other than the owner may read file.
func warnIfShared(stderr io.Writer, file string) {
	info, err := os.Stat(file)
	if err != nil || info.Mode().Perm()&0o077 == 0 {
		return
	}
	fmt.Fprintf(stderr, "warning: %s has mode %04o: others may read the token; "+
		"keep such files 0600 and delete this one once logged in\n",
		file, uint32(info.Mode().Perm()))
}

func login(cmd *cobra.Command, server, token, fingerprint string) error {
	if server == "" || token == "" || fingerprint == "" {
		return errors.New("login needs --server, --token (or --token-file) and --ca-fingerprint")
	}
	fp, err := ca.ParseFingerprint(fingerprint)
	if err != nil {
		return fmt.Errorf("--ca-fingerprint: %w", err)
	}
	home, err := homeDir()
	if err != nil {
		return err
	}

	enr, key, err := enrol(cmd.Context(), server, token, fp)
	if err != nil {
		return err
	}
	p := &profile{home: home, Server: server, User: enr.User.Name}
	if err := p.saveIdentity(enr, key); err != nil {
		return err
	}
	if err := p.save(); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "logged in to %s as %s; profile in %s\n", server, p.User, home)
	return nil
}

// enrol trusts server only if its CA root has fingerprint fp, then trades
// the token and a CSR for a key made here for an identity certificate.
func enrol(ctx context.Context, server, token string, fp []byte) (*admin.Enrolment,
	*ecdsa.PrivateKey, error) {
	bundle, err := admin.FetchCA(ctx, server, fp)
	if err != nil {
		return nil, nil, err
	}
	c, err := admin.NewClient(server, bundle, nil)
	if err != nil {
		return nil, nil, err
	}
	key, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	csr, err := newCSR(key)
	if err != nil {
		return nil, nil, err
	}
	enr, err := c.Enroll(ctx, token, csr)
	return enr, key, err
}

func renewLogin(cmd *cobra.Command) error {
	p, err := loadProfile()
	if err != nil {
		return err
	}
	cert, err := p.identity()
	if err != nil {
		return err
	}
	renewed, err := p.renew(cmd.Context(), cert)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "identity certificate renewed until %s\n",
		renewed.Leaf.NotAfter.Format("2006-01-02 15:04:05 MST"))
	return nil
}

// saveIdentity writes the identity certificate, its key and the CA bundle.
func (p *profile) saveIdentity(enr *admin.Enrolment, key *ecdsa.PrivateKey) error {
	if err := writeKey(p.path(identityKey), key); err != nil {
		return err
	}
	if err := writePrivate(p.path(identityCert), enr.Certificate); err != nil {
		return err
	}
	return writePrivate(p.path(caBundleFile), enr.CA)
}
