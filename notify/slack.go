package notify

import (
	"fmt"
	"strings"
	"time"
)

// slackMessage is the body of a delivery in FormatSlack: an incoming-webhook
// message whose text Slack renders as mrkdwn.
type slackMessage struct {
	Text string `json:"text"`
}

// slackEscaper escapes the three characters Slack gives meaning to, so that
// a reason cannot mention @channel or forge a link.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackText is the message for p: what happened, then, while the request is
// pending, the commands that decide it.
func slackText(p Payload) string {
	var b strings.Builder
	b.WriteString(slackSentence(p))
	if a := p.Approval; a != nil {
		fmt.Fprintf(&b, "\nApprove: `%s`   Deny: `%s`",
			slackEscaper.Replace(a.Approve), slackEscaper.Replace(a.Deny))
	}
	return b.String()
}

// slackSentence says what happened in one line, user-supplied text escaped.
func slackSentence(p Payload) string {
	r, g := p.Request, p.Grant
	if r == nil {
		return fmt.Sprintf("%s by %s", p.Event, esc(p.Actor))
	}

	who, what := esc(r.User), "*"+esc(r.Resource)+"*"
	switch p.Event {
	case RequestCreated:
		return fmt.Sprintf("%s requests access to %s for %s (%s): %s",
			who, what, r.Duration, r.ID, esc(r.Reason))
	case RequestApproved:
		return fmt.Sprintf("%s approved %s's access to %s (%s)%s",
			esc(p.Actor), who, what, r.ID, until(g))
	case RequestDenied:
		return fmt.Sprintf("%s denied %s's access to %s (%s)%s",
			esc(p.Actor), who, what, r.ID, lastComment(r))
	case RequestExpired:
		return fmt.Sprintf("%s's request for %s (%s) expired without a decision",
			who, what, r.ID)
	case RequestCancelled:
		return fmt.Sprintf("%s withdrew their request for %s (%s)", who, what, r.ID)
	}
	return grantSentence(p, who, what)
}

func grantSentence(p Payload, who, what string) string {
	g := p.Grant
	if g == nil {
		return fmt.Sprintf("%s: %s on %s by %s", p.Event, who, what, esc(p.Actor))
	}

	switch p.Event {
	case GrantRevoked:
		return fmt.Sprintf("%s revoked %s's grant %s on %s: %s",
			esc(p.Actor), who, g.ID, what, esc(g.EndReason))
	case GrantReleased:
		return fmt.Sprintf("%s released their grant %s on %s", who, g.ID, what)
	}
	return fmt.Sprintf("%s's grant %s on %s ended at %s",
		who, g.ID, what, g.EndedAt.UTC().Format(time.RFC3339))
}

func until(g *GrantView) string {
	if g == nil {
		return ""
	}
	return "; grant " + g.ID + " until " + g.NotAfter.UTC().Format(time.RFC3339)
}

func lastComment(r *RequestView) string {
	if len(r.Decisions) == 0 {
		return ""
	}
	if c := r.Decisions[len(r.Decisions)-1].Comment; c != "" {
		return ": " + esc(c)
	}
	return ""
}

func esc(s string) string {
	return slackEscaper.Replace(s)
}
