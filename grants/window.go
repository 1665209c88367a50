package grants

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	// Time zones must load on machines without a zoneinfo database.
	_ "time/tzdata"
)

// minutesPerDay is the end of a day in minutes; "24:00" means it.
const minutesPerDay = 24 * 60

// dayNames are the three-letter day names a window accepts, in the order
// of time.Weekday.
var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Window is a weekly time window in a named time zone: on some days of the
// week, from one wall-clock time to another, as clocks in the zone show
// it, whatever their offset from UTC that day. A window whose end is not
// after its start runs past midnight: "Fri 22:00-06:00" is Friday 22:00 to
// Saturday 06:00. Windows are values and safe for concurrent use.
type Window struct {
	days     [7]bool
	from, to int
	zone     *time.Location
	text     string
}

// ParseWindow reads a window written as DAYS FROM-TO ZONE, such as
// "Mon-Fri 08:00-18:00 Europe/Berlin". DAYS is a day, a range of days
// ("Fri-Mon" wraps round the weekend) or a comma-separated list of both;
// times are 24-hour HH:MM, the end may be 24:00; ZONE is an IANA name
// such as UTC or America/New_York.
func ParseWindow(s string) (Window, error) {
	fields := strings.Fields(s)
	if len(fields) != 3 {
		return Window{}, fmt.Errorf("%q: want DAYS FROM-TO ZONE, "+
			"such as Mon-Fri 08:00-18:00 Europe/Berlin", s)
	}

	w := Window{text: strings.Join(fields, " ")}
	var err error
	if w.days, err = parseDays(fields[0]); err != nil {
		return Window{}, fmt.Errorf("days of %q: %w", s, err)
	}
	if w.from, w.to, err = parseHours(fields[1]); err != nil {
		return Window{}, fmt.Errorf("hours of %q: %w", s, err)
	}
	if w.zone, err = loadZone(fields[2]); err != nil {
		return Window{}, fmt.Errorf("time zone of %q: %w", s, err)
	}
	return w, nil
}

// loadZone loads an IANA time zone. "Local" is refused: it would mean
// different hours on machines set up differently.
func loadZone(name string) (*time.Location, error) {
	zone, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, fmt.Errorf("%q is not an IANA zone name such as Europe/Berlin", name)
	}
	return zone, nil
}

// parseDays reads "Mon-Fri", "Sat,Sun", "Fri-Mon" or a mix of them.
func parseDays(s string) ([7]bool, error) {
	var days [7]bool
	for part := range strings.SplitSeq(s, ",") {
		first, last, isRange := strings.Cut(part, "-")
		if !isRange {
			last = first
		}
		a, errA := parseDay(first)
		b, errB := parseDay(last)
		if err := errors.Join(errA, errB); err != nil {
			return days, err
		}

		for d := a; ; d = (d + 1) % 7 {
			days[d] = true
			if d == b {
				break
			}
		}
	}
	return days, nil
}

func parseDay(s string) (time.Weekday, error) {
	for i, name := range dayNames {
		if strings.EqualFold(s, name) {
			return time.Weekday(i), nil
		}
	}
	return 0, fmt.Errorf("%q is not a day: want Mon, Tue, Wed, Thu, Fri, Sat or Sun", s)
}

// parseHours reads "08:00-18:00" as minutes after midnight.
func parseHours(s string) (from, to int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q: want FROM-TO such as 08:00-18:00", s)
	}
	if from, err = parseClock(a); err != nil {
		return 0, 0, err
	}
	if to, err = parseClock(b); err != nil {
		return 0, 0, err
	}

	if from == to || from == minutesPerDay {
		return 0, 0, fmt.Errorf("%q: the window is empty", s)
	}
	return from, to, nil
}

// parseClock reads HH:MM, 00:00 to 24:00, as minutes after midnight.
func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	h, errH := strconv.Atoi(hh)
	m, errM := strconv.Atoi(mm)
	bad := !ok || len(hh) != 2 || len(mm) != 2 || errH != nil || errM != nil ||
		h < 0 || m < 0 || m > 59 || h*60+m > minutesPerDay
	if bad {
		return 0, fmt.Errorf("%q is not a time from 00:00 to 24:00", s)
	}
	return h*60 + m, nil
}

// Contains reports whether t falls inside w.
func (w Window) Contains(t time.Time) bool {
	local := t.In(w.zone)
	day := local.Weekday()
	minute := local.Hour()*60 + local.Minute()

	if w.from < w.to {
		return w.days[day] && minute >= w.from && minute < w.to
	}
	yesterday := (day + 6) % 7
	return (w.days[day] && minute >= w.from) || (w.days[yesterday] && minute < w.to)
}

// End returns when the stretch of w that holds t ends: the first minute
// after t that w does not contain, where a day's span that ends as the
// next begins counts as one stretch. The minutes are walked one by one on
// the absolute clock rather than built from the wall clock, so that on a
// day the zone's clocks change the stretch ends where the clocks show it
// end: at the jump when its end falls in the hour skipped, at the first
// of the two when that hour repeats. It returns false when w does not
// contain t, or contains every minute of the week after it.
func (w Window) End(t time.Time) (time.Time, bool) {
	if !w.Contains(t) {
		return time.Time{}, false
	}

	end := t.Truncate(time.Minute)
	for range weekOfMinutes + 1 {
		end = end.Add(time.Minute)
		if !w.Contains(end) {
			return end, true
		}
	}
	return time.Time{}, false
}

// weekOfMinutes is how many minutes End walks at most.
const weekOfMinutes = 7 * minutesPerDay

// alwaysOpen reports whether w holds every minute of the week.
func (w Window) alwaysOpen() bool {
	return w.days == [7]bool{true, true, true, true, true, true, true} &&
		w.from == 0 && w.to == minutesPerDay
}

// String returns the window as ParseWindow reads it.
func (w Window) String() string {
	return w.text
}

// Describe says when t is in w's zone, for a reason: "Sat 09:30 in
// Europe/Berlin".
func (w Window) Describe(t time.Time) string {
	return t.In(w.zone).Format("Mon 15:04") + " in " + w.zone.String()
}
