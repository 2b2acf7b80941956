package worker

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestSendLimitModJK checks the exported bound against maxSends, the
// mod_jk rules written down independently, over every combination the
// property tests use, with and without bytes seen by the client.
func TestSendLimitModJK(t *testing.T) {
	for retries := 1; retries <= 3; retries++ {
		for _, ro := range []int{0, 1, 2, 3, 8, 9, 16, 17, 24, 25} {
			a := workerSpec(t, "ajp13", "127.0.0.1:1", "retries="+strconv.Itoa(retries), "recovery_options="+strconv.Itoa(ro))
			for _, method := range []string{"GET", "HEAD", "POST"} {
				for _, stage := range failStages {
					for _, saw := range []bool{false, true} {
						got, want := SendLimit(a, method, stage.failure(saw)), maxSends(retries, ro, method, stage, saw)
						if got != want {
							t.Errorf("retries=%d recovery_options=%d %s %s saw=%v: SendLimit %d, mod_jk %d",
								retries, ro, method, stage, saw, got, want)
						}
					}
				}
			}
		}
	}
	// fail_on_status is resent whatever recovery_options say (mod_jk's
	// JK_STATUS_ERROR keeps op->recoverable), unless body was streamed.
	a := workerSpec(t, "ajp13", "127.0.0.1:1", "retries=3", "recovery_options=7")
	if n := SendLimit(a, "POST", Failure{Status: true}); n != 3 {
		t.Errorf("fail_on_status: SendLimit %d, want 3", n)
	}
	if n := SendLimit(a, "POST", Failure{Status: true, Streamed: true}); n != 1 {
		t.Errorf("fail_on_status after streaming: SendLimit %d, want 1", n)
	}
	if n := POSTSendLimit(workerSpec(t, "ajp13", "127.0.0.1:1", "retries=3")); n != 3 {
		t.Errorf("POSTSendLimit with retries=3, recovery_options=0: %d, want 3", n)
	}
}

// TestSendLimitFailOnStatus: a member that answers a status in
// fail_on_status gets the request as often as SendLimit says, also with
// recovery_options that forbid every other resend.
func TestSendLimitFailOnStatus(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		w.SendHeaders(503, ajp.Header{Name: "Content-Length", Value: "0"})
	})
	t.Cleanup(be.Close)
	a := workerSpec(t, "ajp13", be.Addr(), "retries=3", "recovery_options=7", "fail_on_status=503")
	m := noSleepMember(t, a)
	_, err := m.Forward(httptest.NewRecorder(), newReq("POST", "/buy", "order=42"), &Attempt{})
	if Status(err) != http.StatusServiceUnavailable {
		t.Fatalf("err=%v, want a 503", err)
	}
	if got, want := int(be.Requests()), SendLimit(a, "POST", Failure{Status: true}); got != want {
		t.Errorf("the member received the POST %d times, SendLimit says %d", got, want)
	}
}
