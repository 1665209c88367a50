package grants

import (
	"fmt"
	"regexp"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the free text a request carries, in characters.
const (
	maxReason = 1024
	maxTicket = 128
)

// Outcome is what a policy decides of a new request.
type Outcome string

// The outcomes of Evaluate.
const (
	// OutcomeRefused: the request is not acceptable and is not stored.
	OutcomeRefused Outcome = "refused"
	// OutcomeApproved: a rule, or auto_approve always, approves it now.
	OutcomeApproved Outcome = "approved"
	// OutcomePending: it waits for approvers.
	OutcomePending Outcome = "pending"
)

// Evaluation is a policy's decision on a new request and its reasons.
type Evaluation struct {
	Outcome Outcome
	// Duration is how long the grant would last: what was asked for, or
	// the policy's maximum when the policy caps, or what is left of the
	// approving rule's window when that is less.
	Duration time.Duration
	// Rule names what approved the request: a rule's name or RuleAlways;
	// empty unless Outcome is OutcomeApproved.
	Rule string
	// Reasons say why, one sentence each, in the order they were found.
	Reasons []string
	// Needs says what a pending request needs, as its last reason also
	// does; it is out of date once anyone decides, so requests do not keep
	// it among their notes.
	Needs string
	// Err says why a refused request was refused: an *InputError for a
	// bad duration, reason or ticket, ErrForbidden for a requester the
	// policy does not allow. Nil unless Outcome is OutcomeRefused.
	Err error
}

// Evaluate decides what policy p says of request n by requester at now.
// It reads no store and no clock: the same arguments always give the same
// Evaluation. n.Reason and n.Ticket are taken as given; trim them first.
// The requester's role and state are checked here too, so that a refusal
// never depends on who called.
func Evaluate(p Policy, requester User, n NewRequest, now time.Time) Evaluation {
	ev := Evaluation{Duration: n.Duration}
	if !p.MayRequest(requester) {
		return ev.refuse(fmt.Errorf("user %q may not request %s (requesters: %s): %w",
			requester.Name, n.Resource, describe(p.Requesters, "every requester"),
			ErrForbidden))
	}

	if err := ev.limitDuration(p, n.Resource); err != nil {
		return ev.refuse(err)
	}
	if err := checkText(p, n); err != nil {
		return ev.refuse(err)
	}

	if rule, ok := ev.autoApprove(p.AutoApprove, requester, n.Ticket, now); ok {
		ev.Outcome, ev.Rule = OutcomeApproved, rule
		return ev
	}
	ev.Outcome = OutcomePending
	ev.Needs = Progress{Need: p.Required(), From: stillToApprove(p.Approvers, nil, requester.Name),
		Listed: len(p.Approvers) > 0}.String()
	ev.note("%s", ev.Needs)
	return ev
}

func (ev Evaluation) refuse(err error) Evaluation {
	ev.Outcome, ev.Err = OutcomeRefused, err
	ev.note("refused: %v", err)
	return ev
}

func (ev *Evaluation) note(format string, args ...any) {
	ev.Reasons = append(ev.Reasons, fmt.Sprintf(format, args...))
}

// MinDuration is the shortest grant. Certificates count whole seconds, so
// a shorter grant could end before its certificate is signed.
const MinDuration = time.Second

// limitDuration refuses a duration under MinDuration, and one over the
// limit unless p caps it, in which case ev.Duration becomes the limit.
func (ev *Evaluation) limitDuration(p Policy, resource string) error {
	limit := p.Limit()
	switch {
	case ev.Duration <= 0:
		return &InputError{Field: "duration", Problem: "must be more than zero"}
	case ev.Duration < MinDuration:
		return &InputError{Field: "duration", Problem: fmt.Sprintf(
			"%s is under the minimum of %s", FormatDuration(ev.Duration),
			FormatDuration(MinDuration))}
	case ev.Duration <= limit:
		return nil
	case !p.Cap:
		return &InputError{Field: "duration", Problem: fmt.Sprintf(
			"%s is over %s, the longest grant of resource %q (max_duration)",
			FormatDuration(ev.Duration), FormatDuration(limit), resource)}
	}

	ev.note("duration %s shortened to the %s maximum", FormatDuration(ev.Duration),
		FormatDuration(limit))
	ev.Duration = limit
	return nil
}

// checkText checks the reason and the ticket of n against p.
func checkText(p Policy, n NewRequest) error {
	if n.Reason != "" || !p.ReasonOptional {
		if err := checkReason(n.Reason); err != nil {
			return err
		}
	}
	return checkTicket(p, n.Resource, n.Ticket)
}

// checkTicket checks the ticket of a request for resource against p.
func checkTicket(p Policy, resource, ticket string) error {
	switch {
	case ticket == "" && p.TicketPattern != nil:
		return &InputError{Field: "ticket", Problem: fmt.Sprintf(
			"required by resource %q, matching %s", resource, p.TicketPattern)}
	case ticket == "":
		return nil
	case utf8.RuneCountInString(ticket) > maxTicket:
		return &InputError{Field: "ticket", Problem: fmt.Sprintf(
			"must be at most %d printable characters", maxTicket)}
	}

	if err := checkPrintable("ticket", ticket); err != nil {
		return err
	}
	if p.TicketPattern != nil && !fullMatch(p, ticket) {
		return &InputError{Field: "ticket", Problem: fmt.Sprintf(
			"%q does not match %s", ticket, p.TicketPattern)}
	}
	return nil
}

// fullMatch reports whether the whole ticket matches p's pattern. The
// pattern is anchored around a group: the first match is not always the
// longest, so checking where it ends would refuse INC-12 under
// INC-1|INC-12. It fails closed.
func fullMatch(p Policy, ticket string) bool {
	whole, err := regexp.Compile(`^(?:` + p.TicketPattern.String() + `)$`)
	return err == nil && whole.MatchString(ticket)
}

// checkReason checks the reason given with a request, a denial or a
// revocation.
func checkReason(reason string) error {
	return checkFreeText("reason", reason)
}

// checkFreeText checks the text a person typed for field: a reason, a
// comment. It must not be empty, nor longer than maxReason characters, and
// it must hold no control characters, which could rewrite what a terminal
// shows of it.
func checkFreeText(field, text string) error {
	if text == "" {
		return &InputError{Field: field, Problem: "must not be empty"}
	}
	if utf8.RuneCountInString(text) > maxReason {
		return &InputError{Field: field,
			Problem: fmt.Sprintf("longer than %d characters", maxReason)}
	}
	return checkPrintable(field, text)
}

// checkPrintable refuses text holding a character that is not plainly
// visible: a control character (line breaks and tabs included), a format
// character (bidirectional controls, which reorder how the text around
// them is displayed, zero-width spaces and joiners, the byte order mark,
// tags), a line or paragraph separator, a private-use, unassigned or
// non-character code point, or one that renders as nothing (Hangul
// fillers and the other default-ignorable characters, the blank Braille
// pattern). A variation selector passes only alone after a visible
// character, as emoji take one; a run of them could carry hidden text. The
// error names the first character refused and where it is.
func checkPrintable(field, text string) error {
	at, varies := 0, false
	for _, r := range text {
		at++
		switch {
		case invisible(r):
			return &InputError{Field: field, Problem: fmt.Sprintf(
				"control, invisible or unassigned character %U at character %d; "+
					"write one line of printable text", r, at)}
		case unicode.Is(unicode.Variation_Selector, r):
			if !varies {
				return &InputError{Field: field, Problem: fmt.Sprintf(
					"variation selector %U at character %d does not follow "+
						"a character it could vary", r, at)}
			}
			varies = false
		default:
			varies = !unicode.IsSpace(r)
		}
	}
	return nil
}

// blankBraille is the Braille pattern with no dots: a symbol that shows
// nothing.
const blankBraille = '\u2800'

// invisible reports whether r is a character checkPrintable refuses
// wherever it stands. Graphic characters are letters, marks, numbers,
// punctuation, symbols and spaces of the Unicode version Go knows.
func invisible(r rune) bool {
	return !unicode.IsGraphic(r) || r == blankBraille ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// autoApprove returns the name of what approves the request, if anything
// does, and notes why each rule before it did not.
func (ev *Evaluation) autoApprove(a AutoApprove, u User, ticket string,
	now time.Time) (string, bool) {
	if a.Always {
		ev.note("approved: auto_approve is always")
		return RuleAlways, true
	}

	for _, r := range a.Rules {
		miss := r.miss(u, ev.Duration, ticket, now)
		var end time.Time
		if miss == "" {
			end, miss = r.windowEnd(now)
		}
		if miss == "" {
			ev.note("approved by rule %s", r.Name)
			ev.fitWindow(r, now, end)
			return r.Name, true
		}
		ev.note("rule %s does not apply: %s", r.Name, miss)
	}
	return "", false
}

// fitWindow shortens ev.Duration so that a grant that rule r approves at
// now ends at end, when the stretch of r's window holding now ends: a rule
// that holds in office hours grants access in office hours only. A zero
// end, for a window that never closes or no window, shortens nothing.
func (ev *Evaluation) fitWindow(r Rule, now, end time.Time) {
	if end.IsZero() || !now.Add(ev.Duration).After(end) {
		return
	}

	short := end.Sub(now)
	ev.note("duration %s shortened to %s: rule %s holds only until %s, the end of %s",
		FormatDuration(ev.Duration), FormatDuration(short.Round(time.Second)), r.Name,
		r.Window.Describe(end), r.Window)
	ev.Duration = short
}

// windowEnd returns when the stretch of r's window holding now ends, zero
// when r has no window or it never closes, or why r does not apply: the
// window closes too soon for the shortest grant. r's window holds now.
func (r Rule) windowEnd(now time.Time) (time.Time, string) {
	if r.Window == nil {
		return time.Time{}, ""
	}
	end, ok := r.Window.End(now)
	switch {
	case !ok:
		return time.Time{}, ""
	case end.Sub(now) < MinDuration:
		return time.Time{}, fmt.Sprintf("%s closes in less than %s", r.Window,
			FormatDuration(MinDuration))
	}
	return end, ""
}

// miss returns the first condition of r that does not hold, in words, or
// "" when they all hold.
func (r Rule) miss(u User, d time.Duration, ticket string, now time.Time) string {
	switch {
	case len(r.Requesters) > 0 && !anyIncludes(r.Requesters, u):
		return fmt.Sprintf("%s is not one of %s", u.Name, describe(r.Requesters, ""))
	case r.MaxDuration > 0 && d > r.MaxDuration:
		return fmt.Sprintf("duration %s is over %s", FormatDuration(d),
			FormatDuration(r.MaxDuration))
	case r.Window != nil && !r.Window.Contains(now):
		return fmt.Sprintf("%s is outside %s", r.Window.Describe(now), r.Window)
	case r.Ticket && ticket == "":
		return "no ticket was given"
	}
	return ""
}
