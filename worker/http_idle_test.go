package worker

import (
	"io"
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestHTTPIdleDefault: with jkbalancer's default an http member's pooled
// connection idle longer than 5 s is replaced by a fresh one before a
// request is written on it (a firewall may have forgotten it); a busy one
// is reused; connection_pool_timeout=0 written out reuses it whatever its
// age, as mod_jk and mod_proxy_http do.
func TestHTTPIdleDefault(t *testing.T) {
	for _, tc := range []struct {
		name, props string
		idle        time.Duration
		want        []string
	}{
		{"default, idle", "", 6 * time.Second, []string{"0/0 ", "1/0 "}},
		{"default, busy", "", time.Second, []string{"0/0 ", "0/1 "}},
		{"mod_jk value", "connection_pool_timeout=0", 6 * time.Second, []string{"0/0 ", "0/1 "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool { return ok200(w) })
			var props []string
			if tc.props != "" {
				props = append(props, tc.props)
			}
			m := newHTTPMember(t, httpSpec(t, be.ln.Addr().String(), props...))
			getOK(t, m, "/")
			tr := m.tr.(*httpTransport)
			tr.mu.Lock()
			tr.idle[0].since = time.Now().Add(-tc.idle)
			tr.mu.Unlock()
			getOK(t, m, "/")
			seen := be.log()
			got := make([]string, len(seen))
			for i, s := range seen {
				got[i] = s[:min(len(s), 4)]
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("member saw %q; want connections/requests %q", seen, tc.want)
			}
		})
	}
}
