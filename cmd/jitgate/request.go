package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/grants"
)

// pollInterval is how often request --wait asks whether a decision was made.
const pollInterval = time.Second

const requestHelp = `Ask for access to RESOURCE for a duration, with a reason
and, when the resource's policy asks for one, a ticket reference. A fresh key
pair is made on this machine for this request alone and only its certificate
request is sent. The policy may approve the request at once (jitgate resources
shows its rules). With --wait, block until the request is decided, showing who
approved and what it still needs; on approval the grant certificate, its key
and the CA bundle are written under $JITGATE_HOME/grants/GRANT_ID/ and the exit
status is 0. A denied, expired or cancelled request exits with status 2 and
says why. Without --wait, fetch the certificate later with jitgate cert
REQUEST_ID.`

// requestResult is what request -o json prints: the request, and once it is
// approved, its grant and the files written for it.
type requestResult struct {
	admin.RequestView
	Grant *grantFiles `json:"grant,omitempty"`
}

// grantFiles is a grant with the paths of its certificate, key and CA bundle.
type grantFiles struct {
	admin.GrantView
	CertFile string `json:"cert_file"`
	KeyFile  string `json:"key_file"`
	CAFile   string `json:"ca_file"`
}

func newRequestCommand() *cobra.Command {
	var (
		duration time.Duration
		reason   string
		ticket   string
		wait     bool
		format   string
	)
	cmd := &cobra.Command{
		Use:   "request RESOURCE [--for DURATION] --reason TEXT [--wait]",
		Short: "Request temporary access to a resource",
		Long:  requestHelp,
		Args:  namedArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			a := ask{resource: args[0], duration: duration, reason: reason,
				ticket: ticket}
			return runRequest(cmd, a, wait, format)
		},
	}
	f := cmd.Flags()
	durationVar(f, &duration, "for", 30*time.Minute, "how long the access should last")
	f.StringVar(&reason, "reason", "", "why the access is needed")
	f.StringVar(&ticket, "ticket", "", "change or incident reference, such as INC-4711")
	f.BoolVar(&wait, "wait", false, "wait for the decision and fetch the grant certificate")
	addOutputFlag(cmd, &format)
	return cmd
}

// ask is what a requester asks for.
type ask struct {
	resource string
	duration time.Duration
	reason   string
	ticket   string
}

func runRequest(cmd *cobra.Command, a ask, wait bool, format string) error {
	p, err := loadProfile()
	if err != nil {
		return err
	}
	c, err := p.connect(cmd.Context())
	if err != nil {
		return err
	}
	req, err := send(cmd, p, c, a)
	if err != nil {
		return err
	}
	if !wait {
		return printUnwaited(cmd, p, c, req, format)
	}

	result, err := awaitDecision(cmd, p, c, req)
	if err != nil {
		return err
	}
	if perr := printRequest(cmd, format, result); perr != nil {
		return perr
	}
	if result.State != grants.RequestApproved {
		return &exitError{code: 2, err: errors.New(outcome(result.RequestView))}
	}
	return nil
}

// printUnwaited prints a request nobody waits for. One a policy approved at
// once gets its certificate fetched now, as with --wait.
func printUnwaited(cmd *cobra.Command, p *profile, c *admin.Client, req admin.RequestView,
	format string) error {
	result := requestResult{RequestView: req}
	if req.State == grants.RequestApproved {
		files, err := fetchGrant(cmd, p, c, req.ID)
		if err != nil {
			return err
		}
		result.Grant = files
	}
	return printRequest(cmd, format, result)
}

// send makes the request's key pair, sends the request with the CSR and
// keeps the key under requests/ID until its certificate comes. It tells
// the user what the policy made of the request.
func send(cmd *cobra.Command, p *profile, c *admin.Client, a ask) (admin.RequestView,
	error) {
	key, err := newKey()
	if err != nil {
		return admin.RequestView{}, err
	}
	csr, err := newCSR(key)
	if err != nil {
		return admin.RequestView{}, err
	}

	req, err := c.CreateRequest(cmd.Context(), a.resource, a.duration, a.reason, csr,
		admin.WithTicket(a.ticket))
	if err != nil {
		return admin.RequestView{}, err
	}
	if err := localName("request", req.ID); err != nil {
		return admin.RequestView{}, err
	}
	if err := writeKey(p.path(requestsDir, req.ID, grantKey), key); err != nil {
		return admin.RequestView{}, err
	}

	fmt.Fprintf(os.Stderr, "request %s for %s is %s\n", req.ID, req.Resource, req.State)
	for _, note := range req.Notes {
		fmt.Fprintf(os.Stderr, "  %s\n", note)
	}
	return req, nil
}

// awaitDecision polls until the request leaves pending and, when approved,
// stores its grant certificate.
func awaitDecision(cmd *cobra.Command, p *profile, c *admin.Client,
	req admin.RequestView) (requestResult, error) {
	ctx := cmd.Context()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	progress := newProgressPrinter(os.Stderr)
	for req.State == grants.RequestPending {
		progress.show(req)
		select {
		case <-ctx.Done():
			progress.done()
			return requestResult{}, fmt.Errorf("stopped waiting for %s: %w", req.ID, ctx.Err())
		case <-tick.C:
		}
		var err error
		if req, err = c.Request(ctx, req.ID); err != nil {
			progress.done()
			return requestResult{}, err
		}
	}
	progress.show(req)
	progress.done()
	if req.State != grants.RequestApproved {
		// A key whose request can never be approved has no use.
		return requestResult{RequestView: req}, os.RemoveAll(p.path(requestsDir, req.ID))
	}
	files, err := fetchGrant(cmd, p, c, req.ID)
	return requestResult{RequestView: req, Grant: files}, err
}

// fetchGrant downloads the grant certificate of an approved request and
// writes it beside the request's key under grants/GRANT_ID.
func fetchGrant(cmd *cobra.Command, p *profile, c *admin.Client, requestID string) (*grantFiles, error) {
	gc, err := c.Certificate(cmd.Context(), requestID)
	if err != nil {
		return nil, err
	}
	if err := localName("grant", gc.Grant.ID); err != nil {
		return nil, err
	}
	key, err := os.ReadFile(p.path(requestsDir, requestID, grantKey))
	if errors.Is(err, os.ErrNotExist) {
		key, err = os.ReadFile(p.path(grantsDir, gc.Grant.ID, grantKey))
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no key for request %s on this machine: "+
			"it was made where the request was sent", requestID)
	}
	if err != nil {
		return nil, err
	}
	files := &grantFiles{
		GrantView: gc.Grant,
		CertFile:  p.path(grantsDir, gc.Grant.ID, grantCert),
		KeyFile:   p.path(grantsDir, gc.Grant.ID, grantKey),
		CAFile:    p.path(grantsDir, gc.Grant.ID, caBundleFile),
	}
	for path, b := range map[string][]byte{
		files.CertFile: gc.Certificate, files.KeyFile: key, files.CAFile: gc.CA,
	} {
		if err := writePrivate(path, b); err != nil {
			return nil, err
		}
	}
	// The key now lives beside its certificate only.
	return files, os.RemoveAll(p.path(requestsDir, requestID))
}

func printRequest(cmd *cobra.Command, format string, r requestResult) error {
	if format == formatJSON {
		return printJSON(cmd.OutOrStdout(), r)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "request  %s\nresource %s\nstate    %s\n", r.ID, r.Resource, r.State)
	if r.Grant != nil {
		fmt.Fprintf(out, "grant    %s until %s\ncert     %s\nkey      %s\nca       %s\n",
			r.Grant.ID, stamp(r.Grant.NotAfter), r.Grant.CertFile, r.Grant.KeyFile, r.Grant.CAFile)
	}
	return nil
}

func newCertCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "cert REQUEST_ID",
		Short: "Fetch the grant certificate of an approved request",
		Args:  namedArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			p, err := loadProfile()
			if err != nil {
				return err
			}
			c, err := p.connect(cmd.Context())
			if err != nil {
				return err
			}
			req, err := c.Request(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			files, err := fetchGrant(cmd, p, c, req.ID)
			if err != nil {
				return err
			}
			return printRequest(cmd, format, requestResult{RequestView: req, Grant: files})
		},
	}
	addOutputFlag(cmd, &format)
	return cmd
}
