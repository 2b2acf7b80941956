package h1

import (
	"net/http"
	"strconv"
	"testing"
)

// manyNames are n canonical keys, as a member's head of n fields gives.
func manyNames(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "X-Field-" + strconv.Itoa(i)
	}
	return keys
}

// TestManyFieldNamesKeepFirst: past namedScan fields the first spelling
// and place of each still win, and every named key is known as named.
func TestManyFieldNamesKeepFirst(t *testing.T) {
	keys := manyNames(3 * namedScan)
	w := &response{h: make(http.Header)}
	for _, k := range keys {
		w.SetFieldName(k, k)
	}
	for _, k := range keys {
		w.SetFieldName(k, "x-field-again") // a repeat: ignored
	}
	if len(w.names) != 2*len(keys) {
		t.Fatalf("%d names, want %d", len(w.names)/2, len(keys))
	}
	for i, k := range keys {
		if w.names[2*i] != k || w.names[2*i+1] != k || !w.named(k) {
			t.Fatalf("field %d: %q %q, named %v", i, w.names[2*i], w.names[2*i+1], w.named(k))
		}
	}
	if w.named("X-Other") {
		t.Error("a key never named is named")
	}
}

// BenchmarkManyFieldNames names the 2000 fields of a member's head and
// then asks for each, as appendRest does: linear, not quadratic.
func BenchmarkManyFieldNames(b *testing.B) {
	keys := manyNames(2000)
	for b.Loop() {
		w := &response{h: make(http.Header)}
		for _, k := range keys {
			w.SetFieldName(k, k)
		}
		for _, k := range keys {
			if !w.named(k) {
				b.Fatal(k)
			}
		}
	}
}
