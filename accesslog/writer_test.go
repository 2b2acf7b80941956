package accesslog

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// newWriter is a Writer for one request.
func newWriter(w http.ResponseWriter, start time.Time) *Writer {
	lw := new(Writer)
	lw.Reset(w, start)
	return lw
}

// TestWriterReset: a Writer kept in the caller's pooled state starts each
// request as a fresh one, nothing of the last request left.
func TestWriterReset(t *testing.T) {
	var lw Writer
	t0 := time.Unix(1000, 0)
	lw.Reset(httptest.NewRecorder(), t0)
	lw.WriteHeader(404)
	lw.Write([]byte("gone"))
	if !lw.HeaderSent() || lw.status != 404 || lw.bytes != 4 {
		t.Fatalf("first request: sent %v, status %d, bytes %d", lw.HeaderSent(), lw.status, lw.bytes)
	}
	rec := httptest.NewRecorder()
	t1 := t0.Add(time.Second)
	lw.Reset(rec, t1)
	if lw.HeaderSent() || lw.status != 0 || lw.bytes != 0 || lw.start != t1 || lw.ResponseWriter != rec {
		t.Errorf("after Reset: sent %v, status %d, bytes %d, start %v", lw.HeaderSent(), lw.status, lw.bytes, lw.start)
	}
}
