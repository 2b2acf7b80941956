package server

import (
	"context"
	"encoding/binary"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestDiscoverAddressRecords: members from A records, two loopback
// addresses on one port (127.0.0.0/8 is all loopback on Linux), routes
// from the PTR name and from the address.
func TestDiscoverAddressRecords(t *testing.T) {
	a := ajptest.NewServer(ajptest.EchoHandler("tomcat-a"), ajptest.WithAddr("127.0.0.2:0"))
	defer a.Close()
	port := portOf(a)
	b := ajptest.NewServer(ajptest.EchoHandler("127-0-0-3"), ajptest.WithAddr("127.0.0.3:"+port))
	defer b.Close()
	dns := newFakeDNS()
	dns.a["tomcat.ns.svc.cluster.local"] = []net.IPAddr{{IP: net.ParseIP("127.0.0.3")}, {IP: net.ParseIP("127.0.0.2")}}
	dns.ptr["127.0.0.2"] = []string{"tomcat-a.tomcat.ns.svc.cluster.local."}
	workers := "worker.list=lb\nworker.lb.type=lb\nworker.lb.discover=dns:tomcat.ns.svc.cluster.local:" + port + "\n"
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": lbYAML(""), "workers.properties": workers}, dns)
	if got := strings.Join(r.memberNames("lb"), ","); got != "lb/127-0-0-3,lb/tomcat-a" {
		t.Fatalf("members %s", got)
	}
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 4); got["tomcat-a"] != 2 || got["127-0-0-3"] != 2 {
		t.Fatalf("traffic %v", got)
	}
	if code, route := getWith(t, r.url("/x"), "JSESSIONID=AB.127-0-0-3"); code != 200 || route != "127-0-0-3" {
		t.Fatalf("sticky to the address route: %d %q", code, route)
	}
}

// TestDiscoverRealResolver goes through Go's own resolver (net.Resolver,
// PreferGo) against a tiny DNS server on 127.0.0.1 that answers SRV and
// A records: the members it names get the traffic.
func TestDiscoverRealResolver(t *testing.T) {
	pods := echoPods(t, "tomcat-0", "tomcat-1")
	zone := &tinyZone{srv: map[string][]srvRecord{}, a: map[string]net.IP{}}
	for pod, m := range pods {
		p, _ := strconv.Atoi(portOf(m))
		zone.srv["_ajp._tcp.tomcat.example."] = append(zone.srv["_ajp._tcp.tomcat.example."],
			srvRecord{target: pod + ".tomcat.example.", port: uint16(p)})
		zone.a[pod+".tomcat.example."] = net.IPv4(127, 0, 0, 1)
	}
	addr := zone.serve(t)
	res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
	workers := "worker.list=lb\nworker.lb.type=lb\nworker.lb.discover=srv:_ajp._tcp.tomcat.example.\n"
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": lbYAML(""), "workers.properties": workers}, res)
	if got := strings.Join(r.memberNames("lb"), ","); got != "lb/tomcat-0,lb/tomcat-1" {
		t.Fatalf("members %s\n%s", got, r.log.String())
	}
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 4); got["tomcat-0"] != 2 || got["tomcat-1"] != 2 {
		t.Fatalf("traffic %v", got)
	}
}

// tinyZone is a DNS server for tests: SRV and A records of a few names,
// NXDOMAIN for every other name, no answer for other types of known
// names. Messages are encoded by hand (RFC 1035 4.1, RFC 2782).
type tinyZone struct {
	srv map[string][]srvRecord // by lower-case name with the final dot
	a   map[string]net.IP
}

type srvRecord struct {
	target string
	port   uint16
}

// serve answers on a UDP socket of 127.0.0.1 until the test ends.
func (z *tinyZone) serve(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := z.answer(buf[:n]); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

const (
	dnsTypeA   = 1
	dnsTypeSRV = 33
)

// answer builds the response to one query; nil drops a packet that is
// not a query of one question.
func (z *tinyZone) answer(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 || q[2]&0x80 != 0 {
		return nil
	}
	name, end := readName(q, 12)
	if end < 0 || end+4 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[end:])
	out := append([]byte(nil), q[:end+4]...) // header and question
	// QR, AA, RD as asked, RA; no additional records (the OPT is dropped).
	binary.BigEndian.PutUint16(out[2:], 0x8000|0x0400|uint16(q[2]&0x01)<<8|0x0080)
	binary.BigEndian.PutUint16(out[10:], 0)
	binary.BigEndian.PutUint16(out[8:], 0)
	_, knownSRV := z.srv[name]
	ip, knownA := z.a[name]
	if !knownSRV && !knownA {
		out[3] |= 3 // NXDOMAIN
		binary.BigEndian.PutUint16(out[6:], 0)
		return out
	}
	count := 0
	switch {
	case qtype == dnsTypeSRV && knownSRV:
		for _, r := range z.srv[name] {
			rdata := binary.BigEndian.AppendUint16(nil, 0)       // priority
			rdata = binary.BigEndian.AppendUint16(rdata, 10)     // weight
			rdata = binary.BigEndian.AppendUint16(rdata, r.port) // port
			rdata = appendName(rdata, r.target)
			out = appendRR(out, dnsTypeSRV, rdata)
			count++
		}
	case qtype == dnsTypeA && knownA:
		out = appendRR(out, dnsTypeA, ip.To4())
		count++
	}
	binary.BigEndian.PutUint16(out[6:], uint16(count))
	return out
}

// appendRR adds a record for the question's name (a pointer to offset
// 12), class IN, TTL 5.
func appendRR(b []byte, typ uint16, rdata []byte) []byte {
	b = append(b, 0xC0, 12)
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint32(b, 5)
	b = binary.BigEndian.AppendUint16(b, uint16(len(rdata)))
	return append(b, rdata...)
}

func appendName(b []byte, name string) []byte {
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	return append(b, 0)
}

// readName reads an uncompressed name at off (queries carry no
// pointers); it returns the lower-case name with its final dot and the
// offset after it, -1 when malformed.
func readName(b []byte, off int) (string, int) {
	var sb strings.Builder
	for i := 0; i < 128 && off < len(b); i++ {
		n := int(b[off])
		off++
		if n == 0 {
			if sb.Len() == 0 {
				return ".", off
			}
			return strings.ToLower(sb.String()), off
		}
		if n > 63 || off+n > len(b) {
			return "", -1
		}
		sb.Write(b[off : off+n])
		sb.WriteByte('.')
		off += n
	}
	return "", -1
}
