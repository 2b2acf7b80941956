package ajp_test

import (
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// BenchmarkExchangeGET is a pooled GET over loopback against ajptest. The
// allocations include the in-process container's own (it decodes every
// request into a fresh ajp.Request); BenchmarkExchangeCanned has the
// client's alone. The path check (pathcheck.go) must add no allocation:
// compare the two.
func BenchmarkExchangeGET(b *testing.B) {
	b.Run("path-check-off", func(b *testing.B) { benchExchangeGET(b, 0) })
	b.Run("path-check-500ms", func(b *testing.B) { benchExchangeGET(b, 500*time.Millisecond) })
}

func benchExchangeGET(b *testing.B, pathCheck time.Duration) {
	body := make([]byte, 64)
	s := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200, ajp.Header{Name: "Content-Type", Value: "text/plain"},
			ajp.Header{Name: "Content-Length", Value: "64"})
		w.Write(body)
		w.End(true)
	})
	defer s.Close()
	p := ajp.NewPool(ajp.PoolConfig{Addr: s.Addr(), Size: 1, PathCheckInterval: pathCheck})
	defer p.Close()
	req := get("/bench")
	var w discard
	opt := ajp.ExchangeOptions{MayAbort: true}
	b.ReportAllocs()
	for b.Loop() {
		c, err := p.Get(bg)
		if err != nil {
			b.Fatal(err)
		}
		res, err := c.Exchange(req, nil, &w, &opt)
		p.Put(c, err == nil && res.Reuse)
		if err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (*discard) WriteHead(int, []ajp.Header) error { return nil }
func (*discard) Write(p []byte) (int, error)       { return len(p), nil }
func (*discard) Flush() error                      { return nil }
