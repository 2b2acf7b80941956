package discover

import (
	"context"
	"net"
	"sync"
)

// fakeDNS answers member discovery from maps a test changes between
// lookups. (The server's tests have their own, which also plays a
// StatefulSet of ajptest members.)
type fakeDNS struct {
	mu  sync.Mutex
	srv map[string][]*net.SRV
	a   map[string][]net.IPAddr
	ptr map[string][]string
	err error // when set, every lookup fails with it
}

func newFakeDNS() *fakeDNS {
	return &fakeDNS{srv: map[string][]*net.SRV{}, a: map[string][]net.IPAddr{}, ptr: map[string][]string{}}
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// fakeAnswer looks key up in one of f's maps, under f.mu, failing with f.err
// when that is set.
func fakeAnswer[T any](f *fakeDNS, m map[string]T, key string) (T, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var none T
	if f.err != nil {
		return none, f.err
	}
	v, ok := m[key]
	if !ok {
		return none, notFound(key)
	}
	return v, nil
}

func (f *fakeDNS) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	rs, err := fakeAnswer(f, f.srv, name)
	if err != nil {
		return "", nil, err
	}
	return name, rs, nil
}

func (f *fakeDNS) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	return fakeAnswer(f, f.a, host)
}

func (f *fakeDNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return fakeAnswer(f, f.ptr, addr)
}
