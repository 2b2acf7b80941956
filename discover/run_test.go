package discover

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

// fakeOwner records what discovery puts to use and refuses it while
// refuse is set.
type fakeOwner struct {
	sync.Mutex
	closing bool
	refuse  error
	applied []*config.Config
}

func (o *fakeOwner) Closing() bool { return o.closing }

func (o *fakeOwner) ReloadLocked(cfg *config.Config) error {
	if o.TryLock() {
		o.Unlock()
		panic("ReloadLocked without the owner's lock")
	}
	if o.refuse != nil {
		return o.refuse
	}
	o.applied = append(o.applied, cfg)
	return nil
}

// members lists the balance_workers of lb in the configuration last put
// to use.
func (o *fakeOwner) members(lb string) string {
	o.Lock()
	defer o.Unlock()
	if len(o.applied) == 0 {
		return ""
	}
	return strings.Join(o.applied[len(o.applied)-1].Workers[lb].LB.BalanceWorkers, ",")
}

func srvLB(name string) *config.Config {
	// An interval of an hour: the loop stays out of the test's way.
	d := &config.Discover{Kind: config.DiscoverSRV, Name: name, Interval: 3600, Member: &config.Member{}}
	return &config.Config{List: []string{"lb"}, Workers: map[string]*config.Worker{
		"lb": {Name: "lb", Type: config.TypeLB, LB: &config.LB{Discover: d}}}}
}

func (f *fakeDNS) pods(name string, pods ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var rs []*net.SRV
	for i, p := range pods {
		host := p + ".web.example"
		rs = append(rs, &net.SRV{Target: host + ".", Port: 8009})
		f.a[host] = []net.IPAddr{{IP: net.IPv4(10, 0, 0, byte(i+1))}}
	}
	f.srv[name] = rs
}

// TestRediscoverPutsChangesToUse: a new answer is put to use through the
// owner, under its lock; the same answer again is not; a refused reload
// is counted and its answer forgotten, so the next lookup tries again.
func TestRediscoverPutsChangesToUse(t *testing.T) {
	dns := newFakeDNS()
	dns.pods("_ajp._tcp.web", "web-0")
	o := &fakeOwner{}
	dc := New(dns, slog.New(slog.DiscardHandler), o)
	defer dc.Stop()
	ctx := context.Background()
	base := srvLB("_ajp._tcp.web")
	o.Lock()
	if err := dc.Reload(ctx, base); err != nil {
		t.Fatal(err)
	}
	o.Unlock()
	if got := o.members("lb"); got != "lb/web-0" {
		t.Fatalf("start: %q", got)
	}

	dns.pods("_ajp._tcp.web", "web-0", "web-1")
	dc.Rediscover(ctx, true)
	dc.Rediscover(ctx, true) // same answer: no reload
	if got := o.members("lb"); got != "lb/web-0,lb/web-1" || len(o.applied) != 2 {
		t.Fatalf("after a new pod: %q, %d reloads", got, len(o.applied))
	}

	dns.pods("_ajp._tcp.web", "web-1")
	o.refuse = errors.New("refused")
	dc.Rediscover(ctx, true)
	o.refuse = nil
	dc.Rediscover(ctx, true) // the refused answer was forgotten: it is new again
	if got := o.members("lb"); got != "lb/web-1" || len(o.applied) != 3 {
		t.Fatalf("after a refused reload: %q, %d reloads", got, len(o.applied))
	}
	if st := dc.Stats(); st.Lookups != 5 || st.Changes != 2 || st.ApplyFailed != 1 || st.Members["lb"] != 1 {
		t.Errorf("stats %+v", st)
	}

	o.closing = true
	dc.Rediscover(ctx, true)
	if st := dc.Stats(); st.Lookups != 5 {
		t.Errorf("asked DNS while the owner closes: %d lookups", st.Lookups)
	}
}

// TestReloadRefusedKeepsAnswers: a reload the owner refuses leaves
// discovery as it was: the next reload asks DNS again for the new name.
func TestReloadRefusedKeepsAnswers(t *testing.T) {
	dns := newFakeDNS()
	dns.pods("_ajp._tcp.web", "web-0")
	dns.pods("_ajp._tcp.other", "other-0")
	o := &fakeOwner{}
	dc := New(dns, slog.New(slog.DiscardHandler), o)
	defer dc.Stop()
	ctx := context.Background()
	o.Lock()
	defer o.Unlock()
	if err := dc.Reload(ctx, srvLB("_ajp._tcp.web")); err != nil {
		t.Fatal(err)
	}
	o.refuse = errors.New("refused")
	if err := dc.Reload(ctx, srvLB("_ajp._tcp.other")); err == nil {
		t.Fatal("refused reload succeeded")
	}
	o.refuse = nil
	if err := dc.Reload(ctx, srvLB("_ajp._tcp.other")); err != nil {
		t.Fatal(err)
	}
	if st := dc.Stats(); st.Lookups != 3 {
		t.Errorf("%d lookups, want 3: the refused reload's answer must not be kept", st.Lookups)
	}
	if got := strings.Join(o.applied[len(o.applied)-1].Workers["lb"].LB.BalanceWorkers, ","); got != "lb/other-0" {
		t.Errorf("members %q", got)
	}
}
