package grants

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// utc returns the instant of a UTC wall-clock time.
func utc(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, time.UTC)
}

func mustWindow(tb testing.TB, s string) *Window {
	tb.Helper()
	w, err := ParseWindow(s)
	require.NoError(tb, err)
	return &w
}

// In 2025 Europe/Berlin moves to summer time on Sunday 30 March at 01:00
// UTC and back on Sunday 26 October at 01:00 UTC; America/New_York moves
// on Sunday 9 March at 07:00 UTC and back on Sunday 2 November at 06:00
// UTC. Each case marked DST would fall the other way if the window were
// read at a fixed offset from UTC.
func TestWindowContains(t *testing.T) {
	const (
		office    = "Mon-Fri 08:00-18:00 Europe/Berlin"
		lostHour  = "Sun 01:30-03:30 Europe/Berlin"
		twiceHour = "Sun 02:00-03:00 Europe/Berlin"
		weekend   = "Fri-Sat 22:00-06:00 America/New_York"
		falls     = "Sun 00:30-01:30 America/New_York"
	)
	tests := []struct {
		name   string
		window string
		at     time.Time
		want   bool
	}{
		{"office: Fri 07:30 CET, before opening", office, utc(2025, 3, 28, 6, 30), false},
		{"office: Fri 08:30 CET", office, utc(2025, 3, 28, 7, 30), true},
		{"office DST: Mon 08:30 CEST", office, utc(2025, 3, 31, 6, 30), true},
		{"office DST: Mon 07:30 CEST", office, utc(2025, 3, 31, 5, 30), false},
		{"office: 17:59 CEST inside", office, utc(2025, 3, 31, 15, 59), true},
		{"office: 18:00 CEST is the end", office, utc(2025, 3, 31, 16, 0), false},
		{"office: Sat", office, utc(2025, 3, 29, 10, 0), false},
		{"office DST: Fri 17:30 CEST", office, utc(2025, 10, 24, 15, 30), true},
		{"office DST: Mon 08:00 CET is the start", office, utc(2025, 10, 27, 7, 0), true},
		{"office DST: Mon 07:59 CET", office, utc(2025, 10, 27, 6, 59), false},
		{"lost hour: 01:45 CET", lostHour, utc(2025, 3, 30, 0, 45), true},
		{"lost hour: 03:15 CEST", lostHour, utc(2025, 3, 30, 1, 15), true},
		{"lost hour: 03:30 CEST is the end", lostHour, utc(2025, 3, 30, 1, 30), false},
		{"twice hour: first 02:30 CEST", twiceHour, utc(2025, 10, 26, 0, 30), true},
		{"twice hour: second 02:30 CET", twiceHour, utc(2025, 10, 26, 1, 30), true},
		{"twice hour: 03:00 CET", twiceHour, utc(2025, 10, 26, 2, 0), false},
		{"overnight: Sat 22:00 EST", weekend, utc(2025, 3, 9, 3, 0), true},
		{"overnight DST: Sun 05:30 EDT", weekend, utc(2025, 3, 9, 9, 30), true},
		{"overnight DST: Sun 06:30 EDT", weekend, utc(2025, 3, 9, 10, 30), false},
		{"overnight: Fri 00:00 EST belongs to Thu", weekend, utc(2025, 3, 7, 5, 0), false},
		{"overnight: Fri 23:00 EST", weekend, utc(2025, 3, 8, 4, 0), true},
		{"fall back: 01:00 EDT", falls, utc(2025, 11, 2, 5, 0), true},
		{"fall back DST: 01:00 EST", falls, utc(2025, 11, 2, 6, 0), true},
		{"fall back: 01:30 EST", falls, utc(2025, 11, 2, 6, 30), false},
		{"whole week", "Mon-Sun 00:00-24:00 UTC", utc(2025, 6, 1, 23, 59), true},
		{"wrapping days: Sun", "Fri-Mon 09:00-17:00 UTC", utc(2025, 6, 1, 12, 0), true},
		{"wrapping days: Wed", "Fri-Mon 09:00-17:00 UTC", utc(2025, 6, 4, 12, 0), false},
		{"day list: Wed", "Mon,wed 10:00-11:00 UTC", utc(2025, 6, 4, 10, 30), true},
		{"day list: Tue", "Mon,wed 10:00-11:00 UTC", utc(2025, 6, 3, 10, 30), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := mustWindow(t, tc.window)
			assert.Equal(t, tc.want, w.Contains(tc.at), w.Describe(tc.at))
		})
	}
}

// TestWindowEnd uses the same dates as TestWindowContains.
func TestWindowEnd(t *testing.T) {
	const (
		office   = "Mon-Fri 08:00-18:00 Europe/Berlin"
		lostHour = "Sun 01:30-03:30 Europe/Berlin"
		weekend  = "Fri-Sat 22:00-06:00 America/New_York"
	)
	tests := []struct {
		name   string
		window string
		at     time.Time
		want   time.Time // zero: End reports false
	}{
		{"office: Fri 17:50 CET ends at 18:00 CET", office,
			utc(2025, 3, 28, 16, 50), utc(2025, 3, 28, 17, 0)},
		{"office DST: Mon 08:30 CEST ends at 18:00 CEST", office,
			utc(2025, 3, 31, 6, 30), utc(2025, 3, 31, 16, 0)},
		{"office: 17:59:59 ends a second later", office,
			utc(2025, 3, 31, 15, 59).Add(59 * time.Second), utc(2025, 3, 31, 16, 0)},
		{"office: outside", office, utc(2025, 3, 29, 10, 0), time.Time{}},
		{"lost hour: 01:45 CET ends at 03:30 CEST", lostHour,
			utc(2025, 3, 30, 0, 45), utc(2025, 3, 30, 1, 30)},
		{"overnight: Fri 23:00 EST runs into Sat 06:00 EST", weekend,
			utc(2025, 3, 8, 4, 0), utc(2025, 3, 8, 11, 0)},
		{"overnight DST: Sat 22:00 EST ends Sun 06:00 EDT", weekend,
			utc(2025, 3, 9, 3, 0), utc(2025, 3, 9, 10, 0)},
		{"overnight: Sat 05:00 belongs to Fri", weekend,
			utc(2025, 3, 8, 10, 0), utc(2025, 3, 8, 11, 0)},
		{"days that touch run on", "Mon-Fri 00:00-24:00 UTC",
			utc(2025, 6, 3, 12, 0), utc(2025, 6, 7, 0, 0)},
		{"a span to 24:00 before a day off", "Mon,Wed 06:00-24:00 UTC",
			utc(2025, 6, 2, 13, 0), utc(2025, 6, 3, 0, 0)},
		{"whole week never ends", "Mon-Sun 00:00-24:00 UTC",
			utc(2025, 6, 1, 23, 59), time.Time{}},
		{"end in the skipped hour: 01:50 EST ends at the jump, 03:00 EDT",
			"Sun 01:00-02:30 America/New_York", utc(2025, 3, 9, 6, 50), utc(2025, 3, 9, 7, 0)},
		{"overnight end in the skipped hour: Sun 01:50 CET ends at 03:00 CEST",
			"Sat-Sun 20:00-02:30 Europe/Berlin", utc(2027, 3, 28, 0, 50), utc(2027, 3, 28, 1, 0)},
		{"end in the repeated hour, first pass: 01:10 EDT ends at 01:30 EDT",
			"Sun 00:00-01:30 America/New_York", utc(2025, 11, 2, 5, 10), utc(2025, 11, 2, 5, 30)},
		{"end in the repeated hour, second pass: 01:10 EST ends at 01:30 EST",
			"Sun 00:00-01:30 America/New_York", utc(2025, 11, 2, 6, 10), utc(2025, 11, 2, 6, 30)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := mustWindow(t, tc.window)
			end, ok := w.End(tc.at)
			assert.Equal(t, !tc.want.IsZero(), ok)
			assert.True(t, tc.want.Equal(end), "end %s, want %s",
				w.Describe(end), w.Describe(tc.want))
		})
	}
}

func TestParseWindowRefuses(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", "want DAYS FROM-TO ZONE"},
		{"no zone", "Mon-Fri 08:00-18:00", "want DAYS FROM-TO ZONE"},
		{"unknown day", "Funday 08:00-18:00 UTC", `"Funday" is not a day`},
		{"bad range end", "Mon-Xyz 08:00-18:00 UTC", `"Xyz" is not a day`},
		{"one-digit hour", "Mon-Fri 8:00-18:00 UTC", `"8:00" is not a time`},
		{"no dash", "Mon-Fri 08:00_18:00 UTC", "want FROM-TO"},
		{"empty window", "Mon-Fri 08:00-08:00 UTC", "the window is empty"},
		{"after midnight", "Mon-Fri 08:00-25:00 UTC", `"25:00" is not a time`},
		{"sixty minutes", "Mon-Fri 08:60-09:00 UTC", `"08:60" is not a time`},
		{"starts at 24:00", "Mon-Fri 24:00-08:00 UTC", "the window is empty"},
		{"unknown zone", "Mon-Fri 08:00-18:00 Mars/Olympus", "not an IANA zone"},
		{"the machine's zone", "Mon-Fri 08:00-18:00 Local", "not an IANA zone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseWindow(tc.text)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestWindowString(t *testing.T) {
	w := mustWindow(t, "  Mon-Fri   08:00-18:00 Europe/Berlin ")
	assert.Equal(t, "Mon-Fri 08:00-18:00 Europe/Berlin", w.String())
	assert.Equal(t, "Sat 11:00 in Europe/Berlin", w.Describe(utc(2025, 3, 29, 10, 0)))
}

func FuzzParseWindow(f *testing.F) {
	f.Add("Mon-Fri 08:00-18:00 Europe/Berlin")
	f.Add("Fri-Mon,Wed 22:00-06:00 America/New_York")
	f.Add("Sun 00:00-24:00 UTC")
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			return
		}
		again, err := ParseWindow(w.String())
		require.NoError(t, err, "String must parse back")
		at := utc(2025, 3, 30, 1, 30)
		assert.Equal(t, w.Contains(at), again.Contains(at))

		end, ok := w.End(at)
		if ok {
			assert.True(t, end.After(at), "the end comes after the start")
			assert.False(t, w.Contains(end), "the end is outside")
			assert.LessOrEqual(t, end.Sub(at), 8*24*time.Hour)
		}
	})
}
