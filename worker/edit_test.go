package worker

import (
	"errors"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
)

func TestEditSettersValidateAndPublish(t *testing.T) {
	m, _ := newTestMember(t, ajpSpec(t, "127.0.0.1:1"))
	before := m.Config()
	for _, c := range []struct {
		name string
		set  func(int) error
		bad  int
		good int
		get  func() int
	}{
		{"reply_timeout", func(v int) error { return m.Edit(func(c *config.Member) { c.ReplyTimeout = v }) }, -1, 500, func() int { return m.Config().ReplyTimeout }},
		{"retries", func(v int) error { return m.Edit(func(c *config.Member) { c.Retries = v }) }, 0, 4, func() int { return m.Config().Retries }},
		{"retry_interval", func(v int) error { return m.Edit(func(c *config.Member) { c.RetryInterval = v }) }, 0, 50, func() int { return m.Config().RetryInterval }},
		{"recovery_options", func(v int) error { return m.Edit(func(c *config.Member) { c.RecoveryOptions = v }) }, -1, 3, func() int { return m.Config().RecoveryOptions }},
		{"busy_limit", func(v int) error { return m.Edit(func(c *config.Member) { c.BusyLimit = v }) }, -1, 7, func() int { return m.Config().BusyLimit }},
		{"ping_timeout", func(v int) error { return m.Edit(func(c *config.Member) { c.PingTimeout = v }) }, -1, 900, func() int { return m.Config().PingTimeout }},
		{"connect_timeout", func(v int) error { return m.Edit(func(c *config.Member) { c.ConnectTimeout = v }) }, -1, 901, func() int { return m.Config().ConnectTimeout }},
		{"prepost_timeout", func(v int) error { return m.Edit(func(c *config.Member) { c.PrepostTimeout = v }) }, -1, 902, func() int { return m.Config().PrepostTimeout }},
		{"connection_pool_timeout", func(v int) error { return m.Edit(func(c *config.Member) { c.ConnectionPoolTimeout = v }) }, -1, 60, func() int { return m.Config().ConnectionPoolTimeout }},
		{"connection_ping_interval", func(v int) error { return m.Edit(func(c *config.Member) { c.ConnectionPingInterval = v }) }, 0, 30, func() int { return m.Config().ConnectionPingInterval }},
		{"max_packet_size", func(v int) error { return m.Edit(func(c *config.Member) { c.MaxPacketSize = v }) }, 70000, 16384, func() int { return m.Config().MaxPacketSize }},
	} {
		if err := c.set(c.bad); !errors.Is(err, ErrEditRange) {
			t.Errorf("%s(%d): %v, want ErrEditRange", c.name, c.bad, err)
		}
		if err := c.set(c.good); err != nil || c.get() != c.good {
			t.Errorf("%s(%d): %v, now %d", c.name, c.good, err, c.get())
		}
	}
	if err := m.Edit(func(c *config.Member) { c.MaxPacketSize = 9000 }); err != nil || m.Config().MaxPacketSize != 9216 {
		t.Errorf("max_packet_size is rounded up to 1024: %d", m.Config().MaxPacketSize)
	}
	if before.ReplyTimeout != 0 || before.Retries != 2 {
		t.Error("an edit changed the attributes a reader already held")
	}
}

func TestEditRetriesTakesEffectAtOnce(t *testing.T) {
	m, sleeps := newTestMember(t, ajpSpec(t, "127.0.0.1:1", "retries=1"))
	if err := m.Edit(func(c *config.Member) { c.Retries = 3 }); err != nil {
		t.Fatal(err)
	}
	// Port 1 refuses: an unreachable member is not retried on the same
	// worker (gaveUp), so check the value the loop reads instead.
	m.Forward(httptest.NewRecorder(), newReq("GET", "/", ""), &Attempt{})
	if m.Config().Retries != 3 || sleeps.Load() != 0 {
		t.Errorf("retries %d, sleeps %d", m.Config().Retries, sleeps.Load())
	}
	if m.State() != "ERR" {
		t.Errorf("state after a refused connection %q", m.State())
	}
}

func TestSetAddressMovesNewConnections(t *testing.T) {
	be := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, "127.0.0.1:1"))
	if m.State() != "OK/IDLE" {
		t.Errorf("new member state %q", m.State())
	}
	if err := m.SetAddress("127.0.0.1", 9, be.Addr()); err != nil {
		t.Fatal(err)
	}
	if m.Addr() != be.Addr() || m.Config().Port != 9 {
		t.Errorf("addr %s port %d", m.Addr(), m.Config().Port)
	}
	rec := httptest.NewRecorder()
	if _, err := m.Forward(rec, newReq("GET", "/x", ""), &Attempt{}); err != nil || rec.Code != 200 {
		t.Fatalf("request after SetAddress: %v %d", err, rec.Code)
	}
	if m.State() != "OK" {
		t.Errorf("state %q", m.State())
	}
	if err := m.SetAddress("h", 70000, "x"); !errors.Is(err, ErrEditRange) {
		t.Errorf("port 70000: %v", err)
	}
}

func TestConcurrentEditsAllSurvive(t *testing.T) {
	m, _ := newTestMember(t, ajpSpec(t, "127.0.0.1:1"))
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); m.Edit(func(c *config.Member) { c.BusyLimit = 5 }) }()
		go func() {
			defer wg.Done()
			m.Edit(func(c *config.Member) { c.ReplyTimeout = 77 })
			_ = m.Config().Retries
		}()
	}
	wg.Wait()
	if a := m.Config(); a.BusyLimit != 5 || a.ReplyTimeout != 77 {
		t.Errorf("lost an edit: %+v", a)
	}
}
