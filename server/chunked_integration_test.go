//go:build integration

package server

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"strings"
	"testing"
)

// TestChunkedRequestLikeModJK sends the same chunked uploads through
// httpd + mod_jk and through jkbalancer to a capturing AJP container and
// compares what it got: the framing headers (mod_jk forwards the client's
// Transfer-Encoding: chunked and no Content-Length, jk_ajp_common.c and
// mod_jk.c init_ws_service), no body packet before the container asks, the
// body bytes, and the empty packet that ends the body.
func TestChunkedRequestLikeModJK(t *testing.T) {
	itRequireDeps(t, "httpd")
	capt := newAJPCapture(t)
	host, port, _ := net.SplitHostPort(capt.ln.Addr().String())
	spec := itSpec{
		workers:  "worker.list=w\nworker.w.type=ajp13\nworker.w.host=" + host + "\nworker.w.port=" + port + "\n",
		jkMounts: []string{"/* w"},
	}
	h := itStartHTTPD(t, spec)
	j := itStartJKB(t, spec, "")
	for _, tc := range chunkedCases() {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]capRecord
			for i, addr := range []string{h.addr, j.addr} {
				req := chunkedRequest("/form", addr, "application/x-www-form-urlencoded", tc.chunks, tc.trailers...)
				resp, err := itRawDo(addr, req)
				if err != nil || resp.status != 200 {
					t.Fatalf("%s: %v %+v", []string{"mod_jk", "jkbalancer"}[i], err, resp)
				}
				recs := capt.take()
				if len(recs) != 1 {
					t.Fatalf("%s: the container got %d requests, want 1", []string{"mod_jk", "jkbalancer"}[i], len(recs))
				}
				got[i] = recs[0]
			}
			mj, jk := got[0], got[1]
			t.Logf("mod_jk:     headers %v packets %v", mj.headers, mj.packets)
			t.Logf("jkbalancer: headers %v packets %v", jk.headers, jk.packets)
			for _, name := range []string{"Transfer-Encoding", "Content-Length", "X-Trailer"} {
				mv, mok := mj.header(name)
				jv, jok := jk.header(name)
				if mok != jok || !strings.EqualFold(mv, jv) {
					t.Errorf("%s: mod_jk sends %q (%v), jkbalancer %q (%v)", name, mv, mok, jv, jok)
				}
			}
			want := strings.Join(tc.chunks, "")
			if string(mj.body) != want || string(jk.body) != want {
				t.Errorf("body: mod_jk %d bytes, jkbalancer %d bytes, want %d", len(mj.body), len(jk.body), len(want))
			}
			for i, r := range got {
				if r.err != nil || len(r.packets) == 0 || r.packets[len(r.packets)-1] != 0 {
					t.Errorf("%s: packets %v err %v: the body must end with an empty packet",
						[]string{"mod_jk", "jkbalancer"}[i], r.packets, r.err)
				}
			}
		})
	}
}

// TestTomcatChunkedForm: chunked uploads through jkbalancer and through
// httpd + mod_jk to real Tomcat 10. A chunked
// application/x-www-form-urlencoded POST gets its parameters (Tomcat's
// Request.parseParameters reads a chunked form only with the
// Transfer-Encoding header), and raw chunked bodies arrive whole: larger
// than an AJP packet, empty, and with trailers. The mod_jk run proves the
// expectations are the reference's.
func TestTomcatChunkedForm(t *testing.T) {
	tcs := itTomcats(t)
	spec := itSpec{workers: tcWorkers(tcs, "R"), jkMounts: tcMounts}
	j := itStartJKB(t, spec, "")
	h := itStartHTTPD(t, spec)
	big := strings.Repeat("0123456789abcdef", 1500)
	var bigChunks []string
	for i := 0; i < len(big); i += 3000 {
		bigChunks = append(bigChunks, big[i:i+3000])
	}
	sum := func(s string) string { d := sha256.Sum256([]byte(s)); return hex.EncodeToString(d[:]) }
	form := "application/x-www-form-urlencoded"
	for _, p := range []struct {
		name, addr string
	}{{"jkbalancer", j.addr}, {"mod_jk", h.addr}} {
		t.Run(p.name, func(t *testing.T) {
			do := func(target, ctype string, chunks []string, trailers ...string) map[string]string {
				t.Helper()
				resp, err := itRawDo(p.addr, chunkedRequest(target, p.addr, ctype, chunks, trailers...))
				if err != nil || resp.status != 200 {
					t.Fatalf("POST %s: %v %+v", target, err, resp)
				}
				if strings.HasPrefix(target, "/session.jsp") {
					return tcFields(string(resp.body))
				}
				return tcKV(string(resp.body))
			}
			m := do("/session.jsp", form, []string{"echo=x"})
			tcWantKV(t, "chunked form to session.jsp", m, map[string]string{"echo": "x", "len": "-1", "method": "POST"})

			m = do("/params.jsp", form, append([]string{"b=2&a="}, bigChunks...))
			if m["b"] != "2" || m["a"] != big {
				t.Errorf("chunked form larger than a packet: b=%q, a has %d bytes, want 2 and %d", m["b"], len(m["a"]), len(big))
			}
			m = do("/echo.jsp", "application/octet-stream", bigChunks)
			tcWantKV(t, "chunked body", m, map[string]string{"len": "24000", "cl": "-1", "sha256": sum(big)})
			m = do("/echo.jsp", "application/octet-stream", nil)
			tcWantKV(t, "empty chunked body", m, map[string]string{"len": "0", "sha256": sum("")})
			m = do("/echo.jsp", "application/octet-stream", []string{"hello ", "trailers"}, "X-Trailer: t1")
			tcWantKV(t, "chunked body with trailers", m, map[string]string{"len": "14", "sha256": sum("hello trailers")})
		})
	}
}
