package ajp_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

func TestExchangeGET(t *testing.T) {
	s := newServer(t, ajptest.EchoHandler("tc1"))
	p := newPool(t, s, ajp.PoolConfig{})
	for i := range 3 {
		c, err := p.Get(bg)
		if err != nil {
			t.Fatal(err)
		}
		req := get("/app/x")
		req.HasQuery, req.QueryString = true, "a=1"
		var w rec
		res, err := c.Exchange(req, nil, &w, nil)
		p.Put(c, err == nil && res.Reuse)
		if err != nil {
			t.Fatal(err)
		}
		want := "method=GET\nuri=/app/x\nquery=a=1\nroute=tc1\nbody=0\n"
		if w.status != 200 || w.body.String() != want || !res.Reuse || !res.HeadSent ||
			res.BodyBytes != int64(len(want)) || res.Status != 200 {
			t.Fatalf("got %d %q %+v", w.status, w.body.String(), res)
		}
		if !strings.HasPrefix(w.header("Set-Cookie"), "JSESSIONID=") || !strings.Contains(w.header("Set-Cookie"), ".tc1;") {
			t.Fatalf("Set-Cookie %q", w.header("Set-Cookie"))
		}
		if c.Reused() != (i > 0) {
			t.Fatalf("request %d: Reused %v", i, c.Reused())
		}
	}
	if s.Connections() != 1 || s.Requests() != 3 {
		t.Fatalf("connections %d requests %d", s.Connections(), s.Requests())
	}
}

// bodyServer answers with the length and SHA-256 of the body it read.
func bodyServer(t *testing.T) *ajptest.Server {
	return newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			w.CloseConn()
			return
		}
		w.SendHeaders(200)
		w.Write([]byte(itoa(n) + " " + string(h.Sum(nil))))
	})
}

func sum(n int64) string {
	h := sha256.New()
	io.Copy(h, &pattern{n: n})
	return itoa(n) + " " + string(h.Sum(nil))
}

func TestExchangeBodies(t *testing.T) {
	s := bodyServer(t)
	full := func(n int64) []byte { b, _ := io.ReadAll(&pattern{n: n}); return b }
	for _, tc := range []struct {
		name     string
		cl, kept int64 // kept < 0: no Kept
		rest     bool
		streamed bool
	}{
		{"cl<packet kept", 11, 11, false, false},
		{"cl<packet rest", 11, -1, true, true},
		{"cl>packet kept all", 20000, 20000, false, false},
		{"cl>packet kept first", 20000, 8186, true, true},
		{"cl>packet kept short", 20000, 100, true, true},
		{"chunked", -1, -1, true, true},
		{"chunked empty", -1, -1, false, false},
		{"cl 0", 0, -1, false, false},
		{"10MiB", 10 << 20, 8186, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			total := max(tc.cl, 0)
			if tc.name == "chunked" {
				total = 30000
			}
			body := &ajp.Body{ContentLength: tc.cl}
			if tc.kept >= 0 {
				body.Kept = full(total)[:tc.kept]
			}
			if tc.rest {
				rest := &pattern{n: total}
				rest.off = max(tc.kept, 0)
				body.Rest = iotest.HalfReader(rest)
			}
			c := dial(t, s)
			var w rec
			res, err := c.Exchange(post("/up", tc.cl), body, &w, safe)
			if err != nil {
				t.Fatal(err)
			}
			if w.body.String() != sum(total) {
				t.Fatalf("backend read %q", strings.SplitN(w.body.String(), " ", 2)[0])
			}
			if res.BodyStreamed != tc.streamed || !res.Reuse {
				t.Fatalf("result %+v", res)
			}
		})
	}
}

// Kept must survive an exchange: the next attempt sends it again.
func TestExchangeKeptReplayed(t *testing.T) {
	s := bodyServer(t)
	kept, _ := io.ReadAll(&pattern{n: 20000})
	body := &ajp.Body{ContentLength: 20000, Kept: kept}
	for range 2 {
		var w rec
		if _, err := dial(t, s).Exchange(post("/up", 20000), body, &w, safe); err != nil {
			t.Fatal(err)
		}
		if w.body.String() != sum(20000) {
			t.Fatal("second attempt sent a different body")
		}
	}
}

// The application never reads the body: only the first packet goes, the
// rest stays with the client, and the connection stays usable (docs/ajp13.md#request-body-flow rule 6).
func TestExchangeBodyNotRead(t *testing.T) {
	s := newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200)
	})
	c := dial(t, s)
	rest := &pattern{n: 20000}
	fwd, _ := ajp.AppendForward(nil, post("/up", 20000), 0)
	res, err := c.Exchange(post("/up", 20000), &ajp.Body{ContentLength: 20000, Rest: rest}, &rec{}, safe)
	if err != nil {
		t.Fatal(err)
	}
	if rest.off != 8186 || res.Sent != int64(len(fwd)+6+8186) || !res.Reuse || !res.BodyStreamed {
		t.Fatalf("read %d from the client, sent %d: %+v", rest.off, res.Sent, res)
	}
	if _, err := c.Exchange(get("/next"), nil, &rec{}, safe); err != nil {
		t.Fatalf("connection unusable after an unread body: %v", err)
	}
}

func TestExchangeDownload10MiB(t *testing.T) {
	const n = 10 << 20
	s := newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: itoa(n)})
		io.Copy(w, &pattern{n: n})
	})
	h := sha256.New()
	w := &hashWriter{h: h}
	res, err := dial(t, s).Exchange(get("/big"), nil, w, safe)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	io.Copy(want, &pattern{n: n})
	if res.BodyBytes != n || !bytes.Equal(h.Sum(nil), want.Sum(nil)) || !res.Reuse {
		t.Fatalf("got %d bytes: %+v", res.BodyBytes, res)
	}
}

type hashWriter struct {
	rec
	h io.Writer
}

func (w *hashWriter) Write(p []byte) (int, error) { return w.h.Write(p) }

// HEAD, 204 and 304 carry no body even with a Content-Length (docs/ajp13.md#edge-cases).
func TestExchangeNoBodyStatuses(t *testing.T) {
	s := newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		status := 200
		switch r.URI {
		case "/204":
			status = 204
		case "/304":
			status = 304
		}
		w.SendHeaders(status, ajp.Header{Name: "Content-Length", Value: "506"})
		w.End(true)
	})
	c := dial(t, s)
	for _, tc := range []struct {
		method, uri string
		status      int
	}{{"HEAD", "/x", 200}, {"GET", "/204", 204}, {"GET", "/304", 304}} {
		req := get(tc.uri)
		req.Method = tc.method
		var w rec
		res, err := c.Exchange(req, nil, &w, safe)
		if err != nil || res.Status != tc.status || res.BodyBytes != 0 || !res.Reuse {
			t.Fatalf("%s %s: %+v %v", tc.method, tc.uri, res, err)
		}
	}
}

func TestExchangeFlush(t *testing.T) {
	s := newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.Raw([]byte{'A', 'B', 0, 4, 3, 0, 0, 0}) // stray flush before headers: ignored
		w.SendHeaders(200)
		w.Write([]byte("a"))
		w.Flush()
		w.Write([]byte("b"))
		w.Flush()
		w.Write([]byte("c"))
	})
	c := dial(t, s)
	var w rec
	res, err := c.Exchange(get("/"), nil, &w, safe)
	if err != nil || w.body.String() != "abc" || w.flushes != 2 || !res.Reuse {
		t.Fatalf("body %q flushes %d: %+v %v", w.body.String(), w.flushes, res, err)
	}
	w = rec{}
	if _, err := c.Exchange(get("/"), nil, &w, &ajp.ExchangeOptions{FlushPackets: true, FlushHeader: true}); err != nil {
		t.Fatal(err)
	}
	if w.flushes != 1+2+3 { // header + two flush packets + three chunks
		t.Fatalf("FlushPackets+FlushHeader: %d flushes", w.flushes)
	}
}

func TestExchangeEndNoReuse(t *testing.T) {
	s := newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(500)
		w.End(false)
	})
	c := dial(t, s)
	res, err := c.Exchange(get("/"), nil, &rec{}, safe)
	if err != nil || res.Reuse || res.Status != 500 || c.Alive() {
		t.Fatalf("%+v %v alive=%v", res, err, c.Alive())
	}
}

func TestExchangeSecret(t *testing.T) {
	s := newServer(t, ajptest.EchoHandler("r"), ajptest.WithSecret("s3cret"))
	req := get("/")
	res, err := dial(t, s).Exchange(req, nil, &rec{}, safe)
	if err != nil || res.Status != 403 || res.Reuse {
		t.Fatalf("no secret: %+v %v", res, err)
	}
	req.Secret = "s3cret"
	if res, err = dial(t, s).Exchange(req, nil, &rec{}, safe); err != nil || res.Status != 200 {
		t.Fatalf("secret: %+v %v", res, err)
	}
}

func TestExchangeUnknownMethod(t *testing.T) {
	var seen string
	s := newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) { seen = r.Method })
	req := get("/")
	req.Method = "PATCH"
	if _, err := dial(t, s).Exchange(req, nil, &rec{}, safe); err != nil || seen != "PATCH" {
		t.Fatalf("method %q %v", seen, err)
	}
}

// The forward request's payload may be P-4 bytes and not one more.
func TestExchangeHeaderLimit(t *testing.T) {
	s := newServer(t, nil)
	base, _ := ajp.AppendForward(nil, get("/"), 0)
	pad := ajp.DefaultPacketSize - 4 - (len(base) - 4) - (3 + 1 + 3) // X: name + value
	mk := func(n int) *ajp.Request {
		r := get("/")
		r.Headers = append(r.Headers, ajp.Header{Name: "X", Value: strings.Repeat("v", n)})
		return r
	}
	b, err := ajp.AppendForward(nil, mk(pad), 0)
	if err != nil || len(b) != ajp.DefaultPacketSize {
		t.Fatalf("P-4 payload: %d bytes, %v", len(b), err)
	}
	if res, err := dial(t, s).Exchange(mk(pad), nil, &rec{}, safe); err != nil || res.Status != 200 {
		t.Fatalf("P-4 refused: %+v %v", res, err)
	}
	before := s.Requests()
	c := dial(t, s)
	res, err := c.Exchange(mk(pad+1), nil, &rec{}, safe)
	wantErr(t, err, ajp.StageSend, ajp.KindTooLarge)
	if res.Sent != 0 || s.Requests() != before {
		t.Fatalf("sent %d bytes of an oversized request", res.Sent)
	}
}

func TestExchangeHeadRejected(t *testing.T) {
	s := newServer(t, ajptest.EchoHandler("r"))
	c := dial(t, s)
	veto := errors.New("fail_on_status")
	res, err := c.Exchange(get("/"), nil, &rec{headErr: veto}, safe)
	e := wantErr(t, err, ajp.StageReply, ajp.KindHeadRejected)
	if !errors.Is(e, veto) || res.HeadSent || res.Reuse || c.Alive() {
		t.Fatalf("%+v alive=%v", res, c.Alive())
	}
}

func TestExchangeClientWriteError(t *testing.T) {
	s := newServer(t, ajptest.EchoHandler("r"))
	c := dial(t, s)
	res, err := c.Exchange(get("/"), nil, &rec{writeErr: io.ErrClosedPipe}, safe)
	wantErr(t, err, ajp.StageResponse, ajp.KindClientWrite)
	if !res.HeadSent || res.Reuse || c.Alive() {
		t.Fatalf("%+v", res)
	}
}
