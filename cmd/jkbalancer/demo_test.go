package main

import (
	"context"
	"strings"
	"testing"
)

// TestDemoOnce runs the README's first command the way `demo --once` does
// and checks what it promises: mod_jk's 1:5 order, stickiness, and the
// hot standby taking over new sessions and node1's through its redirect.
func TestDemoOnce(t *testing.T) {
	var out strings.Builder
	if err := runDemo(context.Background(), demoOptions{Listen: "127.0.0.1:0", Admin: "off", Out: &out, Once: true}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"node1 node2 node2 node2 node2 node2 node1 node2 node2 node2 node2 node2",
		"(sticky to node1):\n  node1 node1 node1",
		"new sessions go to the hot standby:\n  standby standby standby standby",
		"follow its redirect:\n  standby standby",
		"worker.jkstatus.type=status",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}
