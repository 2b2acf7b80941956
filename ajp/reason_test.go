package ajp

import "testing"

// sendHeadersPayload is a SEND_HEADERS payload with status_msg msg and
// no headers.
func sendHeadersPayload(status int, msg string) []byte {
	p := []byte{byte(typeSendHeaders), byte(status >> 8), byte(status)}
	p = appendString(p, msg)
	return append(p, 0, 0)
}

// TestStatusMessage: status_msg is the reason phrase mod_jk gives httpd;
// a NUL ends it (a C string), and Tomcat's digits cost no allocation.
func TestStatusMessage(t *testing.T) {
	for _, c := range []struct {
		status    int
		msg, want string
	}{{200, "Fine", "Fine"}, {200, "200", "200"}, {404, "200", "200"}, {200, "", ""}, {299, "299", "299"},
		{200, "Fi\x00ne", "Fi"}, {200, "a\tb", "a\tb"}} {
		p := sendHeadersPayload(c.status, c.msg)
		if _, _, err := decodeSendHeaders(p, nil); err != nil {
			t.Fatalf("%q: %v", c.msg, err)
		}
		if got := statusMessage(p, c.status); got != c.want {
			t.Errorf("status %d msg %q: reason %q, want %q", c.status, c.msg, got, c.want)
		}
	}
	p := sendHeadersPayload(200, "200")
	if n := testing.AllocsPerRun(100, func() { statusMessage(p, 200) }); n != 0 {
		t.Errorf("Tomcat's status digits allocate %v times", n)
	}
}
