package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/notify"
)

// TestFlowDeliversSignedEvents drives a request from creation to approval to
// revocation through the real Service and receives each step, signed, over
// HTTPS. Audit events that are not webhook events (a user added, the
// approval itself) are not sent.
func TestFlowDeliversSignedEvents(t *testing.T) {
	w := newWorld(t)
	rcv := newReceiver(t, testSecret, true)
	o := w.options(rcv.webhook("ops"))
	o.Client = rcv.srv.Client()
	start(t, o)
	ctx := t.Context()

	r := w.request("db")
	created := rcv.next()
	_, err := w.svc.AddUser(ctx, "dave", "carol", []grants.Role{grants.RoleRequester})
	require.NoError(t, err)
	r, err = w.svc.Approve(ctx, r.ID, "bob", "go ahead")
	require.NoError(t, err)
	approved := rcv.next()
	_, err = w.svc.Revoke(ctx, r.GrantID, "dave", "incident")
	require.NoError(t, err)
	revoked := rcv.next()

	for i, d := range []delivery{created, approved, revoked} {
		want := []string{notify.RequestCreated, notify.RequestApproved,
			notify.GrantRevoked}[i]
		assert.Equal(t, want, d.payload.Event)
		assert.Equal(t, want, d.header.Get(notify.EventHeader))
		assert.Equal(t, d.payload.ID, d.header.Get(notify.DeliveryHeader))
		assert.Equal(t, "application/json", d.header.Get("Content-Type"))
		require.NotNil(t, d.payload.Request)
		assert.Equal(t, r.ID, d.payload.Request.ID)
	}

	assert.Equal(t, "alice", created.payload.Actor)
	require.NotNil(t, created.payload.Approval)
	assert.Equal(t, "jitgate approve "+r.ID, created.payload.Approval.Approve)
	assert.Equal(t, "db", created.payload.Request.Resource)

	assert.Equal(t, "bob", approved.payload.Actor)
	assert.Nil(t, approved.payload.Approval)
	require.NotNil(t, approved.payload.Grant)
	assert.Equal(t, r.GrantID, approved.payload.Grant.ID)

	assert.Equal(t, "dave", revoked.payload.Actor)
	require.NotNil(t, revoked.payload.Grant)
	assert.Equal(t, "revoked", revoked.payload.Grant.State)
	assert.Equal(t, "incident", revoked.payload.Grant.EndReason)
	assert.Len(t, rcv.allAttempts(), 3)
}

// TestFailedAttemptsAreRetried answers the first attempt badly and the
// second with 200: the same event arrives again, signed afresh, and every
// attempt is counted. A refusal (4xx) is retried too: it is logged as an
// error for an operator, never dropped.
func TestFailedAttemptsAreRetried(t *testing.T) {
	tests := []struct {
		name  string
		first int
		want  string
	}{
		{"server error", http.StatusInternalServerError, "failed"},
		{"too many requests", http.StatusTooManyRequests, "failed"},
		{"refused", http.StatusUnauthorized, "rejected"},
		{"no answer in time", hang, "unreachable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			rcv := newReceiver(t, testSecret, false)
			rcv.setAnswer(func(attempt int, _ delivery) int {
				if attempt == 1 {
					return tc.first
				}
				return http.StatusOK
			})
			hook := rcv.webhook("ops")
			hook.URL += "/hooks/credential-in-path"
			rec := &fakeRecorder{}
			core, logs := observer.New(zapcore.DebugLevel)
			o := w.options(hook)
			o.Recorder, o.Logger, o.AttemptTimeout = rec, zap.New(core), time.Second
			start(t, o)

			r := w.request("db")
			got := rcv.next()

			assert.Equal(t, r.ID, got.payload.Request.ID)
			attempts := rcv.allAttempts()
			require.Len(t, attempts, 2)
			assert.Equal(t, attempts[0].body, attempts[1].body)
			// The receiver hands the delivery over before it answers.
			require.Eventually(t, func() bool { return len(rec.all()) == 2 }, waitLimit,
				5*time.Millisecond)
			assert.Equal(t, []string{"ops/" + tc.want, "ops/delivered"}, rec.all())
			assertNoLeak(t, logs.All(), "credential-in-path", string(testSecret),
				"fix the db")
		})
	}
}

// TestRetryWaitsAsTheReceiverAsks has a receiver answer 429 with
// Retry-After: 1, longer than the test's usual waits of a few
// milliseconds: the retry comes no sooner.
func TestRetryWaitsAsTheReceiverAsks(t *testing.T) {
	w := newWorld(t)
	rcv := newReceiver(t, testSecret, false)
	rcv.retryAfter = "1"
	rcv.setAnswer(func(attempt int, _ delivery) int {
		if attempt == 1 {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	})
	o := w.options(rcv.webhook("ops"))
	o.MaxBackoff = 5 * time.Second
	start(t, o)

	w.request("db")
	rcv.next()
	attempts := rcv.allAttempts()
	require.Len(t, attempts, 2)
	assert.GreaterOrEqual(t, attempts[1].at.Sub(attempts[0].at), time.Second)
}

// assertNoLeak checks that no log line mentions any of secrets.
func assertNoLeak(t *testing.T, entries []observer.LoggedEntry, secrets ...string) {
	t.Helper()
	require.NotEmpty(t, entries)
	for _, e := range entries {
		line := e.Message + " " + fmt.Sprint(e.ContextMap())
		for _, s := range secrets {
			assert.NotContains(t, line, s)
		}
	}
}

// TestQueueSurvivesRestart stops a notifier while a receiver is down and
// starts another on the reopened store: the rest arrives, in order, and
// nothing accepted before the stop arrives twice. A webhook added at the
// restart starts at the newest event rather than replaying history.
func TestQueueSurvivesRestart(t *testing.T) {
	w := newWorld(t)
	rcv := newReceiver(t, testSecret, false)
	var up atomic.Bool
	accepted := 0
	rcv.setAnswer(func(int, delivery) int {
		if accepted < 2 || up.Load() {
			accepted++
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	first := start(t, w.options(rcv.webhook("ops")))

	var want []string
	for range 5 {
		want = append(want, w.request("db").ID)
	}
	got := []string{rcv.next().payload.Request.ID, rcv.next().payload.Request.ID}
	require.Eventually(t, func() bool { return refusedOnce(rcv) }, waitLimit,
		5*time.Millisecond)
	first.stop()

	w.reopen()
	up.Store(true)
	late := newReceiver(t, testSecret, false)
	start(t, w.options(rcv.webhook("ops"), late.webhook("late")))
	want = append(want, w.request("web").ID)
	for len(got) < len(want) {
		got = append(got, rcv.next().payload.Request.ID)
	}

	assert.Equal(t, want, got)
	assert.Equal(t, want[5], late.next().payload.Request.ID)
	assert.Len(t, late.allAttempts(), 1)
}

func refusedOnce(r *receiver) bool {
	for _, d := range r.allAttempts() {
		if d.status == http.StatusServiceUnavailable {
			return true
		}
	}
	return false
}

// noCursorStore is a store on which no cursor can be saved.
type noCursorStore struct{ grants.Store }

func (s noCursorStore) Update(ctx context.Context, fn func(grants.Tx) error) error {
	return s.Store.Update(ctx, func(tx grants.Tx) error { return fn(noCursorTx{tx}) })
}

type noCursorTx struct{ grants.Tx }

func (noCursorTx) SetCursor(string, int64) error { return errors.New("disk full") }

// TestDeliveryIsAtLeastOnce shows the price of never losing an event: when
// a cursor cannot be saved, a restarted notifier sends the same events
// again, with the same IDs, for receivers to drop.
func TestDeliveryIsAtLeastOnce(t *testing.T) {
	w := newWorld(t)
	rcv := newReceiver(t, testSecret, false)
	hook := rcv.webhook("ops")
	_, err := notify.New(t.Context(), w.options(hook))
	require.NoError(t, err)

	o := w.options(hook)
	o.Store = noCursorStore{w.store}
	unsaved := start(t, o)
	r1, r2 := w.request("db"), w.request("db")
	first := []delivery{rcv.next(), rcv.next()}
	unsaved.stop()

	start(t, w.options(hook))
	r3 := w.request("db")
	again := []delivery{rcv.next(), rcv.next(), rcv.next()}

	ids := func(ds []delivery) (out []string) {
		for _, d := range ds {
			out = append(out, d.payload.Request.ID)
		}
		return out
	}
	assert.Equal(t, []string{r1.ID, r2.ID}, ids(first))
	assert.Equal(t, []string{r1.ID, r2.ID, r3.ID}, ids(again))
	assert.Equal(t, first[0].payload.ID, again[0].payload.ID)
}

// TestSlackFormat posts an incoming-webhook message whose text escapes what
// Slack would act on and carries the command that approves.
func TestSlackFormat(t *testing.T) {
	w := newWorld(t)
	rcv := newReceiver(t, nil, false)
	hook := rcv.webhook("slack")
	hook.Format = notify.FormatSlack
	start(t, w.options(hook))

	r, err := w.svc.CreateRequest(t.Context(), grants.NewRequest{
		User: "alice", Resource: "db", Duration: 30 * time.Minute,
		Reason: "<!channel> orders & invoices", CSR: []byte("csr"),
	})
	require.NoError(t, err)
	got := rcv.next()

	var msg map[string]string
	require.NoError(t, json.Unmarshal(got.body, &msg))
	assert.Equal(t, []string{"text"}, keys(msg))
	text := msg["text"]
	assert.Contains(t, text, "alice requests access to *db* for 30m")
	assert.Contains(t, text, "&lt;!channel&gt; orders &amp; invoices")
	assert.NotContains(t, text, "<!channel>")
	assert.Contains(t, text, "`jitgate approve "+r.ID+"`")
	assert.Empty(t, got.header.Get(notify.SignatureHeader))
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestFilters sends one webhook only denials and another only what
// concerns the web resource.
func TestFilters(t *testing.T) {
	w := newWorld(t)
	denials, web := newReceiver(t, testSecret, false), newReceiver(t, testSecret, false)
	onlyDenied := denials.webhook("denials")
	onlyDenied.Events = []string{notify.RequestDenied}
	onlyWeb := web.webhook("web")
	onlyWeb.Resources = []string{"web"}
	start(t, w.options(onlyDenied, onlyWeb))

	deny := func(r grants.Request) {
		_, err := w.svc.Deny(t.Context(), r.ID, "bob", "not now")
		require.NoError(t, err)
	}
	db := w.request("db")
	deny(db)
	webRequest := w.request("web")
	deny(webRequest)

	seen := func(r *receiver, n int) []string {
		var out []string
		for range n {
			d := r.next()
			out = append(out, d.payload.Event+" "+d.payload.Request.Resource)
		}
		return out
	}
	assert.Equal(t, []string{"request.denied db", "request.denied web"}, seen(denials, 2))
	assert.Equal(t, []string{"request.created web", "request.denied web"}, seen(web, 2))
	assert.Len(t, denials.allAttempts(), 2)
	assert.Len(t, web.allAttempts(), 2)
}

// TestNewRefusesBadWebhooks checks that New refuses before touching the
// store's cursors.
func TestNewRefusesBadWebhooks(t *testing.T) {
	w := newWorld(t)
	hook := notify.Webhook{Name: "ops", URL: "https://h.test/x", Secret: []byte("short")}

	_, err := notify.New(t.Context(), w.options(hook))
	require.ErrorIs(t, err, notify.ErrWeakSecret)

	err = w.store.View(t.Context(), func(tx grants.Tx) error {
		_, err := tx.Cursor("ops")
		return err
	})
	assert.ErrorIs(t, err, grants.ErrNotFound)
}
