package server

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReloadCertificates: after the files change, ReloadCertificates
// makes new handshakes use the new certificate while a connection
// established before keeps working with the old one; new files that do
// not load (bad PEM, a key that does not match) are refused with an error
// naming them, and the current certificate keeps serving.
func TestReloadCertificates(t *testing.T) {
	one := issue(t, certSpec{cn: "one"}, nil)
	two := issue(t, certSpec{cn: "two"}, nil)
	three := issue(t, certSpec{cn: "three"}, nil)
	rig := startTLSRig(t, "cert_file: s.crt\nkey_file: s.key", "", map[string]string{"s.crt": one.certPEM, "s.key": one.keyPEM})
	write := func(cert, key string) {
		t.Helper()
		for name, text := range map[string]string{"s.crt": cert, "s.key": key} {
			if err := os.WriteFile(filepath.Join(rig.dir, name), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	old, err := tls.Dial("tcp", rig.addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if st := rawTLSGet(t, old); st != 200 {
		t.Fatalf("status %d", st)
	}

	write(two.certPEM, two.keyPEM)
	if err := rig.ts.srv.ReloadCertificates(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if cn := handshakeCN(t, rig.addr, ""); cn != "two" {
		t.Fatalf("after the reload a new handshake got %q, want two", cn)
	}
	if st := rawTLSGet(t, old); st != 200 {
		t.Fatalf("the connection made before the reload: status %d", st)
	}
	if cn := old.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "one" {
		t.Fatalf("the old connection changed certificate to %q", cn)
	}

	for _, bad := range []struct {
		name, cert, key, want string
	}{
		{"bad PEM", "-----BEGIN CERTIFICATE-----\nbroken\n", two.keyPEM, "s.crt holds no PEM CERTIFICATE block"},
		{"key mismatch", three.certPEM, two.keyPEM, "does not match the certificate"},
		{"missing key", three.certPEM, "", "holds no PEM PRIVATE KEY block"},
	} {
		write(bad.cert, bad.key)
		err := rig.ts.srv.ReloadCertificates()
		if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), "listen 127.0.0.1:0") {
			t.Errorf("%s: reload error %v; want one naming %q and the listener", bad.name, err, bad.want)
		}
		if cn := handshakeCN(t, rig.addr, ""); cn != "two" {
			t.Errorf("%s: the refused reload changed the certificate to %q", bad.name, cn)
		}
	}
	if !strings.Contains(rig.ts.log.String(), "certificates not reloaded") {
		t.Errorf("the refused reload was not logged:\n%s", rig.ts.log.String())
	}
	if st := rawTLSGet(t, old); st != 200 {
		t.Fatalf("the old connection after refused reloads: status %d", st)
	}
	os.Remove(filepath.Join(rig.dir, "s.key"))
	if err := rig.ts.srv.ReloadCertificates(); err == nil || !strings.Contains(err.Error(), "cannot read the private key") {
		t.Errorf("reload without the key file: %v", err)
	}
}
