package statusclient

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func target(t *testing.T, c *Client, raw string) Target {
	t.Helper()
	ts, err := c.Expand(context.Background(), raw, true)
	if err != nil || len(ts) != 1 {
		t.Fatalf("Expand(%s) = %v, %v", raw, ts, err)
	}
	return ts[0]
}

func wantKind(t *testing.T, err error, k Kind) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Kind != k {
		t.Fatalf("error %v, want kind %s", err, k)
	}
}

func TestSetActivationByGET(t *testing.T) {
	f, s := newFake(t, &fakeStatus{})
	c := &Client{}
	tg := target(t, c, s.URL+"/jk-status")
	if err := c.SetActivation(context.Background(), tg, "lb", "t1", Disabled); err != nil {
		t.Fatal(err)
	}
	if act, n := f.get("t1"); act != "DIS" || n != 1 {
		t.Fatalf("t1 %s after %d updates, want DIS after 1", act, n)
	}
	m, err := c.Member(context.Background(), tg, "lb", "t1")
	if err != nil || m.Activation != "DIS" || m.State != "OK" {
		t.Fatalf("Member = %+v, %v", m, err)
	}
	if err := c.SetActivation(context.Background(), tg, "lb", "t1", Active); err != nil {
		t.Fatal(err)
	}
	if act, _ := f.get("t1"); act != "ACT" {
		t.Fatalf("t1 %s after activate", act)
	}
	if act, _ := f.get("t2"); act != "ACT" {
		t.Fatalf("t2 changed: %s", act)
	}
}

// A status worker that accepts changes only by POST with its form's
// token (jkbalancer's csrf=strict) is drained through the edit form.
func TestSetActivationWithCSRFToken(t *testing.T) {
	f, s := newFake(t, &fakeStatus{csrf: true})
	c := &Client{}
	if err := c.SetActivation(context.Background(), target(t, c, s.URL+"/jk-status"), "lb", "t2", Disabled); err != nil {
		t.Fatal(err)
	}
	if act, _ := f.get("t2"); act != "DIS" {
		t.Fatalf("t2 %s, want DIS", act)
	}
}

func TestLogin(t *testing.T) {
	f, s := newFake(t, &fakeStatus{user: "ops", pass: "s3cret:x"})
	u := strings.Replace(s.URL, "http://", "http://ops:s3cret%3Ax@", 1) + "/jk-status"
	c := &Client{}
	tg := target(t, c, u)
	if strings.Contains(tg.String(), "s3cret") {
		t.Errorf("the target's name shows the password: %s", tg)
	}
	if err := c.SetActivation(context.Background(), tg, "lb", "t1", Disabled); err != nil {
		t.Fatalf("login from the URL: %v", err)
	}
	wrong := target(t, c, strings.Replace(u, "s3cret", "nope", 1))
	err := c.SetActivation(context.Background(), wrong, "lb", "t1", Active)
	wantKind(t, err, AuthRefused)
	if strings.Contains(err.Error(), "nope") {
		t.Errorf("the error shows the password: %v", err)
	}
	bare := &Client{}
	wantKind(t, bare.SetActivation(context.Background(), target(t, bare, s.URL+"/jk-status"), "lb", "t1", Active), AuthRefused)
	flag := &Client{User: "ops", Password: "s3cret:x"}
	if err := flag.SetActivation(context.Background(), target(t, flag, s.URL+"/jk-status"), "lb", "t1", Active); err != nil {
		t.Fatalf("login from the flag: %v", err)
	}
	if act, _ := f.get("t1"); act != "ACT" {
		t.Fatalf("t1 %s", act)
	}
}

func TestErrorsAreReported(t *testing.T) {
	ctx := context.Background()
	c := &Client{Timeout: 5 * time.Second}
	_, s := newFake(t, &fakeStatus{errorPage: 502})
	wantKind(t, c.SetActivation(ctx, target(t, c, s.URL+"/jk-status"), "lb", "t1", Disabled), HTTPStatus)
	_, s = newFake(t, &fakeStatus{notStatus: true})
	wantKind(t, c.SetActivation(ctx, target(t, c, s.URL+"/"), "lb", "t1", Disabled), Garbled)
	_, err := c.Member(ctx, target(t, c, s.URL+"/"), "lb", "t1")
	wantKind(t, err, Garbled)
	f, s := newFake(t, &fakeStatus{})
	err = c.SetActivation(ctx, target(t, c, s.URL+"/jk-status"), "lb", "t9", Disabled)
	wantKind(t, err, Refused)
	if !strings.Contains(err.Error(), "could not find sub worker 't9'") {
		t.Errorf("the status worker's message is lost: %v", err)
	}
	_, err = c.Member(ctx, target(t, c, s.URL+"/jk-status"), "nolb", "t1")
	wantKind(t, err, Refused)
	_, err = c.Member(ctx, target(t, c, s.URL+"/jk-status"), "lb", "t9")
	wantKind(t, err, Garbled)
	if _, n := f.get("t1"); n != 0 {
		t.Errorf("%d updates made", n)
	}
	// Nothing listens: closed server.
	s.Close()
	wantKind(t, c.SetActivation(ctx, target(t, c, s.URL+"/jk-status"), "lb", "t1", Disabled), Unreachable)
	for _, bad := range []string{"ftp://x/jk-status", "http:///jk-status", "::"} {
		if _, err := c.Expand(ctx, bad, true); err == nil {
			t.Errorf("Expand(%q) accepted", bad)
		}
	}
}

type fakeResolver map[string][]string

func (r fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// listenPair listens on 127.0.0.1 and 127.0.0.2 on the same port, as two
// pods behind one headless Service do.
func listenPair(t *testing.T) (int, [2]net.Listener) {
	for range 20 {
		l1, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l1.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp", "127.0.0.2:"+strconv.Itoa(port))
		if err == nil {
			return port, [2]net.Listener{l1, l2}
		}
		l1.Close()
	}
	t.Skip("cannot listen on 127.0.0.2 with a port free on 127.0.0.1")
	return 0, [2]net.Listener{}
}

func TestNameWithTwoAddresses(t *testing.T) {
	port, ls := listenPair(t)
	var fs [2]*fakeStatus
	for i, l := range ls {
		fs[i] = &fakeStatus{act: map[string]string{"t1": "ACT", "t2": "ACT"}, busy: map[string]int64{}, elected: map[string]int64{}}
		s := httptest.NewUnstartedServer(fs[i])
		s.Listener.Close()
		s.Listener = l
		s.Start()
		t.Cleanup(s.Close)
	}
	c := &Client{Resolver: fakeResolver{"jk.headless": {"127.0.0.2", "127.0.0.1", "127.0.0.2"}, "localhost": {"::1", "127.0.0.1"}}}
	raw := "http://jk.headless:" + strconv.Itoa(port) + "/jk-status"
	ts, err := c.Expand(context.Background(), raw, true)
	if err != nil || len(ts) != 2 {
		t.Fatalf("Expand = %v, %v; want two targets", ts, err)
	}
	for _, tg := range ts {
		if err := c.SetActivation(context.Background(), tg, "lb", "t1", Disabled); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range fs {
		if act, _ := f.get("t1"); act != "DIS" {
			t.Errorf("instance %d: t1 %s", i, act)
		}
		if h := f.hosts[0]; h != "jk.headless:"+strconv.Itoa(port) {
			t.Errorf("instance %d got Host %q", i, h)
		}
	}
	if one, _ := c.Expand(context.Background(), raw, false); len(one) != 1 || one[0].Addr != "" {
		t.Errorf("each=false: %v", one)
	}
	if lh, _ := c.Expand(context.Background(), "http://localhost:1/jk-status", true); len(lh) != 1 || lh[0].Addr != "" {
		t.Errorf("localhost: %v", lh)
	}
	if _, err := c.Expand(context.Background(), "http://gone.example/jk-status", true); err == nil {
		t.Error("a name that does not resolve was accepted")
	}
}

// Over HTTPS each address is dialled with the URL's name as the TLS server
// name, so the certificate of the name verifies.
func TestNameWithTwoAddressesTLS(t *testing.T) {
	port, ls := listenPair(t)
	var fs [2]*fakeStatus
	var tr *http.Transport
	for i, l := range ls {
		fs[i] = &fakeStatus{act: map[string]string{"t1": "ACT", "t2": "ACT"}, busy: map[string]int64{}, elected: map[string]int64{}}
		s := httptest.NewUnstartedServer(fs[i])
		s.Listener.Close()
		s.Listener = l
		s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
		s.StartTLS()
		t.Cleanup(s.Close)
		tr = s.Client().Transport.(*http.Transport) // the same test certificate for both
	}
	c := &Client{Transport: tr, Resolver: fakeResolver{"jk.example.com": {"127.0.0.1", "127.0.0.2"}}}
	ts, err := c.Expand(context.Background(), "https://jk.example.com:"+strconv.Itoa(port)+"/jk-status", true)
	if err != nil || len(ts) != 2 {
		t.Fatalf("Expand = %v, %v", ts, err)
	}
	for _, tg := range ts {
		if err := c.SetActivation(context.Background(), tg, "lb", "t2", Stopped); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range fs {
		if act, _ := f.get("t2"); act != "STP" {
			t.Errorf("instance %d: t2 %s", i, act)
		}
	}
	// A name the certificate does not cover fails verification.
	bad := &Client{Transport: tr, Resolver: fakeResolver{"jk.other.test": {"127.0.0.1", "127.0.0.2"}}}
	ts, _ = bad.Expand(context.Background(), "https://jk.other.test:"+strconv.Itoa(port)+"/jk-status", true)
	wantKind(t, bad.SetActivation(context.Background(), ts[0], "lb", "t2", Active), Unreachable)
}
