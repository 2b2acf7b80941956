package server

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestListenAdminBindFails: the server's Listen fails when the admin
// listener's configured address cannot be bound (admin.TestAdminBind has
// the listener's side), and leaves no front end bound behind.
func TestListenAdminBindFails(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := taken.Addr().String()
	dir := t.TempDir()
	src := config.Sources{Listen: []string{"127.0.0.1:0"}, Mounts: []string{"/*=ajp13"},
		ConfigFile: filepath.Join(dir, "jkbalancer.yaml")}
	if err := os.WriteFile(src.ConfigFile, []byte("admin: {listen: \""+busy+"\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, ps := config.Load(src)
	if cfg == nil {
		t.Fatal(ps)
	}
	srv, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Listen(); err == nil || !strings.Contains(err.Error(), "admin listen "+busy) {
		t.Fatalf("Listen: %v, want admin listen %s", err, busy)
	}
	if addrs := srv.Addrs(); len(addrs) != 0 {
		t.Errorf("front ends bound after the failed Listen: %v", addrs)
	}
}
