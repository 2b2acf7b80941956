package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// tlsListener is the TLS state of one HTTPS listener. Every handshake
// asks GetConfigForClient for the current certStore, so a reload changes
// the certificates of new handshakes only; established connections keep
// theirs and are never dropped.
type tlsListener struct {
	addr string
	cur  atomic.Pointer[certStore]
	// base is what tls.NewListener gets. Its session ticket keys are
	// shared by every generation, so sessions resume across reloads.
	base *tls.Config
}

// certStore is one generation of a listener's settings and certificates.
// Immutable; a reload installs a new one (reloadfront.go).
type certStore struct {
	spec   *config.TLS
	conf   *tls.Config
	def    *tls.Certificate
	byName map[string][]*tls.Certificate // SNI name -> candidates, in config order
	count  int
}

// newTLSListener loads the listener's files. Warnings are not logged
// here: Load already reported them when the configuration was read.
func newTLSListener(l config.Listener, now time.Time) (*tlsListener, error) {
	tl := &tlsListener{addr: l.Addr}
	tl.base = &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return tl.cur.Load().conf, nil
		},
	}
	st, _, err := loadCertStore(l.TLS, now)
	if err != nil {
		return nil, err
	}
	tl.cur.Store(st)
	return tl, nil
}

// load reads the files again and, when they are all good, swaps the new
// certificates in. On an error the current ones stay.
func (tl *tlsListener) load(now time.Time) (config.Problems, error) {
	st, ps, err := loadCertStore(tl.cur.Load().spec, now)
	if err != nil {
		return ps, err
	}
	tl.cur.Store(st)
	return ps, nil
}

// loadCertStore reads the files of spec; the problems are its warnings,
// or its errors when the error is not nil.
func loadCertStore(spec *config.TLS, now time.Time) (*certStore, config.Problems, error) {
	m, ps := config.LoadTLS(spec, now)
	if m == nil {
		return nil, ps, errors.New(strings.ReplaceAll(ps.Errors().Error(), "\n", "; "))
	}
	return newCertStore(spec, m), ps.Warnings(), nil
}

func newCertStore(spec *config.TLS, m *config.TLSMaterial) *certStore {
	st := &certStore{spec: spec, def: m.Certificates[0].Cert, byName: make(map[string][]*tls.Certificate), count: len(m.Certificates)}
	// SNI certificates first: the default certificate's own names only
	// decide when no other certificate claims the name.
	for i := range m.Certificates {
		nc := &m.Certificates[(i+1)%len(m.Certificates)]
		for _, n := range nc.Names {
			st.byName[n] = append(st.byName[n], nc.Cert)
		}
	}
	var suites []uint16
	for _, c := range spec.CipherSuites {
		suites = append(suites, uint16(c))
	}
	st.conf = &tls.Config{
		MinVersion:     uint16(spec.MinVersion),
		CipherSuites:   suites,
		NextProtos:     []string{"h2", "http/1.1"}, // ALPN: HTTP/2 over TLS (RFC 9113 3.2)
		ClientAuth:     spec.ClientAuth.TLSType(),
		ClientCAs:      m.ClientCAs,
		GetCertificate: st.certificate,
	}
	return st
}

// certificate chooses by the SNI name: an exact name, then a wildcard one
// label up ("*.example.com"), then the default certificate, as httpd
// falls back to the first SSL virtual host of the address. Among
// certificates claiming a name, the first the client supports wins (an
// ECDSA and an RSA certificate for one name).
func (st *certStore) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	if name != "" {
		if c := pickSupported(hello, st.byName[name]); c != nil {
			return c, nil
		}
		if i := strings.IndexByte(name, '.'); i > 0 {
			if c := pickSupported(hello, st.byName["*"+name[i:]]); c != nil {
				return c, nil
			}
		}
	}
	return st.def, nil
}

func pickSupported(hello *tls.ClientHelloInfo, certs []*tls.Certificate) *tls.Certificate {
	for _, c := range certs {
		if hello.SupportsCertificate(c) == nil {
			return c
		}
	}
	if len(certs) > 0 {
		return certs[0]
	}
	return nil
}

// ReloadCertificates reads the certificate, key and client CA files of
// every TLS listener again (Reload does it too, as part of the whole
// configuration). New handshakes use the new files; established
// connections are not touched. A listener whose new files do not load
// keeps its current certificates; the error, also logged, says why.
func (s *Server) ReloadCertificates() error {
	s.reloadMu.Lock() // a reload may be installing new listener settings
	defer s.reloadMu.Unlock()
	s.mu.Lock()
	var listeners []*tlsListener
	for _, f := range s.fronts {
		listeners = append(listeners, f.tls.Load())
	}
	s.mu.Unlock()
	var errs []error
	for _, tl := range listeners {
		if tl == nil {
			continue
		}
		warnings, err := tl.load(s.now())
		for _, w := range warnings {
			s.log.Warn("certificate warning", "listen", tl.addr, "problem", w.String())
		}
		if err != nil {
			s.log.Error("certificates not reloaded; the listener keeps serving its current ones", "listen", tl.addr, "err", err)
			errs = append(errs, fmt.Errorf("listen %s: %w", tl.addr, err))
			continue
		}
		s.log.Info("certificates reloaded", "listen", tl.addr, "certificates", tl.cur.Load().count)
	}
	return errors.Join(errs...)
}

// connTLSKey keys the connTLS of a connection in its context.
type connTLSKey struct{}

// connTLS caches the TLS facts of one client connection: computed at its
// first request, shared by the others (HTTP/2 streams run concurrently).
// The handshake has not happened yet when ConnContext runs, hence the
// lazy computation.
type connTLS struct {
	once  sync.Once
	chain *bool // the listener's client_cert_chain, nil = JkOptions
	info  *worker.TLSInfo
}

// connContext is the listener's http.Server.ConnContext.
func (tl *tlsListener) connContext(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, connTLSKey{}, &connTLS{chain: tl.cur.Load().spec.ClientCertChain})
}

// requestTLS returns the TLS facts of r's connection, nil for plain HTTP.
func requestTLS(r *http.Request, o *config.Options) *worker.TLSInfo {
	if r.TLS == nil {
		return nil
	}
	c, ok := r.Context().Value(connTLSKey{}).(*connTLS)
	if !ok {
		return worker.NewTLSInfo(r.TLS, o.ForwardSSLCertChain)
	}
	c.once.Do(func() {
		chain := o.ForwardSSLCertChain
		if c.chain != nil {
			chain = *c.chain
		}
		c.info = worker.NewTLSInfo(r.TLS, chain)
	})
	return c.info
}
