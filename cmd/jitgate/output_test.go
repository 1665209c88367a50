package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/grants"
)

func TestPrintTableEscapesControlCharacters(t *testing.T) {
	var out bytes.Buffer
	rows := [][]string{{"req_1", "fix\r\x1b[32Cecho 10m0s\x1b[K", "two\tlines\n"}}
	require.NoError(t, printTable(&out, []string{"ID", "REASON", "NOTE"}, rows))

	assert.NotContains(t, out.String(), "\x1b")
	assert.NotContains(t, out.String(), "\r")
	assert.Contains(t, out.String(), `fix\r\x1b[32Cecho 10m0s\x1b[K`)
	assert.Contains(t, out.String(), `two\tlines\n`)
}

func TestLocalName(t *testing.T) {
	cases := []struct {
		id string
		ok bool
	}{
		{"gr_abc123", true},
		{"", false},
		{"../../escaped", false},
		{"a/b", false},
		{"/abs", false},
		{"..", false},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			err := localName("grant", tc.id)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

func TestStatusLine(t *testing.T) {
	approve := grants.Decision{Approver: "dave", Verdict: grants.VerdictApprove}
	deny := grants.Decision{Approver: "frank", Verdict: grants.VerdictDeny,
		Comment: "not now"}
	cases := []struct {
		name string
		r    admin.RequestView
		want string
	}{
		{"pending", admin.RequestView{ID: "req_1", State: grants.RequestPending,
			Decisions: []grants.Decision{approve}, Needs: "needs 1 more approval"},
			"request req_1 is pending: approved by dave; needs 1 more approval"},
		{"denied after an approval", admin.RequestView{ID: "req_1",
			State: grants.RequestDenied, Decisions: []grants.Decision{approve, deny}},
			"request req_1 was denied by frank: not now"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, statusLine(tc.r))
		})
	}
}

func TestAuditRefusesALimitBelowOne(t *testing.T) {
	for _, limit := range []string{"0", "-3"} {
		cmd := newAuditCommand()
		cmd.SetArgs([]string{"--limit", limit})
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		cmd.RunE = func(*cobra.Command, []string) error {
			t.Error("ran with --limit", limit)
			return nil
		}
		err := cmd.Execute()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "--limit: "+limit+" is not a positive number")
	}
}

func TestResourcesShowTheServerNameToDial(t *testing.T) {
	var out bytes.Buffer
	policy := admin.PolicyViewOf(grants.Policy{})
	list := []admin.ResourceInfo{
		{Name: "api", Address: "127.0.0.1:8443", ServerName: "api.localhost", Policy: policy},
		{Name: "pg", Address: "127.0.0.1:15433", Policy: policy},
	}
	require.NoError(t, printResources(&out, "", list))
	lines := strings.Split(out.String(), "\n")
	require.GreaterOrEqual(t, len(lines), 3)
	assert.Regexp(t, `^NAME +ADDRESS +SERVER NAME +MAX`, lines[0])
	assert.Regexp(t, `^api +127\.0\.0\.1:8443 +api\.localhost +8h`, lines[1])
	assert.Regexp(t, `^pg +127\.0\.0\.1:15433 +- +8h`, lines[2])
}

func TestGrantsShowSessionsAgainstTheirLimit(t *testing.T) {
	used := 3
	gs := []admin.GrantView{
		{ID: "gr_a", State: grants.GrantActive, User: "alice", Resource: "pg",
			MaxSessions: 3, Sessions: &used},
		{ID: "gr_b", State: grants.GrantActive, User: "alice", Resource: "api"},
	}
	cmd := &cobra.Command{}
	var out bytes.Buffer
	cmd.SetOut(&out)
	require.NoError(t, printGrants(cmd, "", gs))

	lines := strings.Split(out.String(), "\n")
	require.GreaterOrEqual(t, len(lines), 3)
	assert.Regexp(t, `UNTIL +SESSIONS +ENDED`, lines[0])
	assert.Regexp(t, `^gr_a .* 3/3 *$`, lines[1], "the limit is reached")
	assert.Regexp(t, `^gr_b .* - *$`, lines[2], "no limit")
}
