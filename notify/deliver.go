package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.uber.org/zap"
)

// userAgent names jitgate to receivers.
const userAgent = "jitgate-webhook/1"

// maxDrain is how much of an answer's body is read, and thrown away, so
// that the connection can be reused.
const maxDrain = 64 << 10

// attemptError is a failed delivery attempt. It never holds the URL or the
// answer's body.
type attemptError struct {
	result string
	status int
	err    error
	// later, when set, is the wait the receiver asked for; the retry loop
	// finds it through Unwrap.
	later *backoff.RetryAfterError
}

func (e *attemptError) Error() string {
	if e.err != nil {
		return "post: " + e.err.Error()
	}
	if e.later != nil {
		return fmt.Sprintf("receiver answered %d, asking to retry after %s",
			e.status, e.later.Duration)
	}
	return fmt.Sprintf("receiver answered %d", e.status)
}

func (e *attemptError) Unwrap() []error {
	var errs []error
	if e.err != nil {
		errs = append(errs, e.err)
	}
	if e.later != nil {
		errs = append(errs, e.later)
	}
	return errs
}

// deliver posts p until the receiver answers 2xx or ctx ends, backing off
// exponentially up to maxBackoff between attempts. It never gives up: an
// audit feed that drops events is worse than one that is late.
func (w *worker) deliver(ctx context.Context, p Payload) error {
	body, err := w.encode(p)
	if err != nil {
		return err
	}

	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = w.initial, w.maxBackoff
	attempts := 0
	op := func() (struct{}, error) {
		if !w.hold(ctx) {
			return struct{}{}, backoff.Permanent(errLeaseLost)
		}
		attempts++
		return struct{}{}, w.attempt(ctx, p, body)
	}
	notify := func(err error, next time.Duration) { w.failed(p, err, attempts, next) }

	_, err = backoff.Retry(ctx, op, backoff.WithBackOff(b),
		backoff.WithMaxElapsedTime(0), backoff.WithNotify(notify))
	if err == nil && attempts > 1 {
		w.log.Info("webhook delivered after retries", zap.String(keyWebhook, w.hook.Name),
			zap.String(keyDelivery, p.ID), zap.Int(keyAttempt, attempts))
	}
	return err
}

// attempt posts body once, bounded by the attempt timeout, and counts the
// result.
func (w *worker) attempt(ctx context.Context, p Payload, body []byte) error {
	actx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()

	req, err := w.request(actx, p, body)
	if err != nil {
		return err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			w.rec.Delivery(w.hook.Name, resultUnreachable)
		}
		return &attemptError{result: resultUnreachable, err: withoutURL(err)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))

	result := classify(resp.StatusCode)
	w.rec.Delivery(w.hook.Name, result)
	if result != resultDelivered {
		ae := &attemptError{result: result, status: resp.StatusCode}
		if wait, ok := w.retryAfter(resp, time.Now()); ok {
			ae.later = &backoff.RetryAfterError{Duration: wait}
		}
		return ae
	}
	return nil
}

// retryAfter returns the wait a 429 or 503 answer asks for in its
// Retry-After header, in seconds or as an HTTP date, kept between the
// first backoff and the longest: a receiver may slow deliveries down to
// the usual ceiling, but neither stall the audit feed nor hurry it.
func (w *worker) retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests &&
		resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	var wait time.Duration
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		wait = time.Duration(secs) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		wait = at.Sub(now)
	} else {
		return 0, false
	}
	return min(max(wait, w.initial), w.maxBackoff), true
}

// request builds one signed attempt; each is signed at its own time.
func (w *worker) request(ctx context.Context, p Payload, body []byte,
) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.hook.URL,
		bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("build request: url does not parse")
	}

	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	h.Set(EventHeader, p.Event)
	h.Set(DeliveryHeader, p.ID)
	if len(w.hook.Secret) > 0 {
		sig, ts := Sign(w.hook.Secret, w.now(), body)
		h.Set(SignatureHeader, sig)
		h.Set(TimestampHeader, ts)
	}
	return req, nil
}

// classify names the result of an answer with this status. 408 and 429 say
// "try later"; the other 4xx say the receiver refuses what it got.
func classify(status int) string {
	switch {
	case status >= 200 && status < 300:
		return resultDelivered
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests:
		return resultFailed
	case status >= 400 && status < 500:
		return resultRejected
	}
	return resultFailed
}

// withoutURL drops the URL a client error quotes: a Slack webhook's URL is
// its credential and must not reach a log.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// failed logs a failed attempt that will be retried after next. A refusal
// needs an operator (a wrong secret or URL) and is an error; the rest are
// warnings.
func (w *worker) failed(p Payload, err error, attempt int, next time.Duration) {
	fields := []zap.Field{
		zap.String(keyWebhook, w.hook.Name), zap.String(keyEvent, p.Event),
		zap.String(keyDelivery, p.ID), zap.Int(keyAttempt, attempt),
		zap.Duration(keyRetryIn, next), zap.Error(err),
	}
	var ae *attemptError
	if errors.As(err, &ae) && ae.status != 0 {
		fields = append(fields, zap.Int(keyStatus, ae.status))
	}

	if ae != nil && ae.result == resultRejected {
		w.log.Error("webhook receiver refuses deliveries", fields...)
		return
	}
	w.log.Warn("webhook delivery failed", fields...)
}
