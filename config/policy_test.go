package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

// policyConfig holds one resource with every policy key. Line 14 is
// approvals, column 7 its key.
const policyConfig = `resources:
  - name: db
    upstream: 127.0.0.1:5432
    listen: 127.0.0.1:15432
    policy:
      requesters: [group:dev, olga]
      max_duration: 4h
      cap: true
      require_reason: false
      ticket_pattern: 'INC-[0-9]+'
      pending_ttl: 2h
      idle_timeout: 15m
      single_use: true
      approvals: 2
      approvers: [group:db-leads, carlos]
      auto_approve:
        - name: oncall-office-hours
          requesters: [group:oncall]
          max_duration: 1h
          window: Mon-Fri 08:00-18:00 Europe/Berlin
          ticket: true
        - name: dev-short
          requesters: [group:dev]
          max_duration: 15m
`

func TestParsePolicy(t *testing.T) {
	c, err := Parse([]byte(policyConfig))
	require.NoError(t, err)
	require.Len(t, c.Resources, 1)
	p := c.Resources[0].Policy.Policy

	assert.Equal(t, []grants.Principal{"group:dev", "olga"}, p.Requesters)
	assert.Equal(t, 4*time.Hour, p.MaxDuration)
	assert.True(t, p.Cap)
	assert.True(t, p.ReasonOptional)
	assert.Equal(t, "INC-[0-9]+", p.TicketPattern.String())
	assert.Equal(t, 2*time.Hour, p.PendingTTL)
	assert.Equal(t, 15*time.Minute, p.IdleTimeout)
	assert.Equal(t, 1, p.MaxSessions, "single_use is one session")
	assert.Equal(t, 2, p.Approvals)
	assert.Equal(t, []grants.Principal{"group:db-leads", "carlos"}, p.Approvers)
	require.Len(t, p.AutoApprove.Rules, 2)
	first := p.AutoApprove.Rules[0]
	assert.Equal(t, "oncall-office-hours", first.Name)
	assert.Equal(t, []grants.Principal{"group:oncall"}, first.Requesters)
	assert.Equal(t, time.Hour, first.MaxDuration)
	assert.Equal(t, "Mon-Fri 08:00-18:00 Europe/Berlin", first.Window.String())
	assert.True(t, first.Ticket)
	assert.Nil(t, p.AutoApprove.Rules[1].Window)
}

func TestParsePolicyDefaultsAndAlways(t *testing.T) {
	c, err := Parse([]byte(res("policy: {auto_approve: always}")))
	require.NoError(t, err)
	assert.True(t, c.Resources[0].Policy.AutoApprove.Always)

	c, err = Parse([]byte(res("")))
	require.NoError(t, err)
	assert.Equal(t, grants.Policy{}, c.Resources[0].Policy.Policy)
	assert.True(t, c.Resources[0].Policy.IsZero())
}

// policyDoc returns a document whose resource web has the policy lines
// given, indented under policy: at line 5, column 7.
func policyDoc(lines ...string) string {
	return "resources:\n  - name: web\n    upstream: 'h:1'\n    hostname: w\n" +
		"    policy:\n      " + strings.Join(lines, "\n      ") + "\n"
}

func TestParsePolicyRefuses(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"unknown key", []string{"cap: true", "aprovals: 2"},
			"7:7: resources[web].policy.aprovals: unknown key; known: approvals,"},
		{"bad duration", []string{"max_duration: soon"},
			`6:7: resources[web].policy.max_duration: "soon" is not accepted; ` +
				"want a duration such as 30m or 8h, from 1s to 168h"},
		{"duration too long", []string{"pending_ttl: 800h"},
			"6:7: resources[web].policy.pending_ttl: \"800h\" is not accepted"},
		{"zero approvals", []string{"approvals: 0"},
			"6:7: resources[web].policy.approvals: \"0\" is not accepted; " +
				"want a whole number from 1 to 10"},
		{"approvals not a number", []string{"approvals: [2]"},
			"resources[web].policy.approvals: want a whole number"},
		{"bad bool", []string{"cap: yes"},
			`resources[web].policy.cap: "yes" is not accepted; want true or false`},
		{"bad principal", []string{"approvers:", "  - bob", "  - Group:Leads"},
			`8:11: resources[web].policy.approvers[1]: "Group:Leads" is not a user name`},
		{"empty list", []string{"requesters: []"},
			"resources[web].policy.requesters: want a list of user names"},
		{"bad pattern", []string{"ticket_pattern: 'INC-('"},
			"resources[web].policy.ticket_pattern: \"INC-(\" is not a regular expression"},
		{"bad auto_approve", []string{"auto_approve: sometimes"},
			`resources[web].policy.auto_approve: "sometimes" is not accepted`},
		{"rule without name", []string{"auto_approve:", "  - ticket: true"},
			"7:11: resources[web].policy.auto_approve[0].name: every rule needs a name"},
		{"rule unknown key", []string{"auto_approve:", "  - name: a", "    group: x"},
			"8:11: resources[web].policy.auto_approve[0].group: unknown key; " +
				"known: name, requesters, max_duration, window, ticket"},
		{"bad window", []string{"auto_approve:", "  - name: a",
			"    window: Mon-Fri 08:00-18:00 Mars/Base"},
			"8:11: resources[web].policy.auto_approve[0].window: " +
				"time zone of \"Mon-Fri 08:00-18:00 Mars/Base\""},
		{"key twice", []string{"cap: true", "cap: false"},
			"7:7: resources[web].policy.cap: written twice"},
		{"single_use against max_sessions", []string{"max_sessions: 3", "single_use: true"},
			"7:7: resources[web].policy.single_use: means max_sessions: 1"},
		{"not a mapping", []string{"strict"}, "resources[web].policy: want a mapping"},
		{"impossible approvals", []string{"approvals: 3", "approvers: [bob, carlos]"},
			"6:7: resources[web].policy.approvals: 3 approvals can never be given"},
		{"unreachable rule", []string{"auto_approve:", "  - name: any",
			"  - name: short", "    max_duration: 1h"},
			"8:11: resources[web].policy.auto_approve[1]: rule short can never apply"},
		{"rule for outsiders", []string{"requesters: [alice]", "auto_approve:",
			"  - name: a", "    requesters: [olga]"},
			"9:11: resources[web].policy.auto_approve[0].requesters: none of olga"},
		{"always with approvers", []string{"approvers: [bob]", "auto_approve: always"},
			"7:7: resources[web].policy.auto_approve: always approves every request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(policyDoc(tc.lines...)))
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			var fe *FileError
			require.ErrorAs(t, err, &fe)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLoadNamesTheFileInPolicyErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	doc := strings.Replace(policyConfig, "approvals: 2", "approvals: 11", 1)
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))

	_, err := Load(path)

	require.Error(t, err)
	assert.Equal(t, path+":14:7: resources[db].policy.approvals: "+
		`"11" is not accepted; want a whole number from 1 to 10`, err.Error())
}

func TestPolicyRoundTrips(t *testing.T) {
	c, err := Parse([]byte(policyConfig))
	require.NoError(t, err)

	b, err := c.Marshal()
	require.NoError(t, err)
	again, err := Parse(b)
	require.NoError(t, err)

	assert.Equal(t, c.Resources[0].Policy.Policy, again.Resources[0].Policy.Policy)
}

func TestPolicyBuiltInCodeIsChecked(t *testing.T) {
	c := Default()
	c.Resources = []Resource{{Name: "db", Upstream: "h:1", Hostname: "db",
		Policy: Policy{Policy: grants.Policy{Approvals: 2,
			Approvers: []grants.Principal{"bob"}}}}}

	err := c.Validate()

	assert.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, "resources[db].policy.approvals: 2 approvals can never")
}
