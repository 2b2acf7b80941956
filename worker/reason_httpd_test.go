package worker

import "testing"

// TestEmptyReasonTakesHTTPDPhrase: an empty reason from an AJP member
// becomes httpd's phrase for the status, as mod_jk's ws_start_response
// asks ap_get_status_line, and "Unknown Reason" where httpd has none.
// Go's table said "I'm a teapot" for 418 where mod_jk sends "Unknown
// Reason" (found by the generated differential harness), and spells 414
// without httpd's hyphen.
func TestEmptyReasonTakesHTTPDPhrase(t *testing.T) {
	for status, want := range map[int]string{
		200: "OK",
		203: "Non-Authoritative Information",
		299: "Unknown Reason",
		414: "Request-URI Too Long",
		418: "Unknown Reason",
		425: "Unknown Reason",
		451: "Unavailable For Legal Reasons",
		511: "Network Authentication Required",
	} {
		if got := reasonPhrase(status, "", false); got != want {
			t.Errorf("status %d with no reason: %q, want %q", status, got, want)
		}
	}
	if got := reasonPhrase(418, "", true); got != "" {
		t.Errorf("an HTTP member's empty reason must stay empty, got %q", got)
	}
}
