package server

import "github.com/jkbalancer/jkbalancer/config"

// forwardURI builds the URI sent to the backend from the raw request path,
// per JkOptions ForwardURI* (docs/config.md#jkoptions). The default,
// ForwardURIProxy, re-encodes the decoded path so a "%252e" the client sent
// stays "%252e" for Tomcat and can never be decoded twice (CVE-2007-1860).
func forwardURI(raw string, mode config.ForwardURI) (string, error) {
	if mode == config.ForwardURICompatUnparsed {
		return raw, nil
	}
	decoded, err := httpdURI(raw)
	if err != nil {
		return "", err
	}
	switch mode {
	case config.ForwardURICompat:
		return decoded, nil
	case config.ForwardURIEscaped:
		return escapePath(decoded, &escapedKeep), nil
	}
	return escapePath(decoded, &proxyKeep), nil
}

// keepSet marks the bytes a path encoder leaves alone.
type keepSet [256]bool

func newKeepSet(extra string) keepSet {
	var k keepSet
	for c := '0'; c <= '9'; c++ {
		k[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		k[c] = true
		k[c-'a'+'A'] = true
	}
	for i := 0; i < len(extra); i++ {
		k[extra[i]] = true
	}
	return k
}

var (
	// mod_jk's ForwardURIProxy set (jk_canonenc): ';' is kept so path
	// parameters such as ;jsessionid survive.
	proxyKeep = newKeepSet("~$-_.+!*'(),;:@&=/")
	// httpd's ap_escape_uri set (T_OS_ESCAPE_PATH): like the proxy set but
	// ';' is escaped.
	escapedKeep = newKeepSet("$-_.+!*'(),:@&=/~")
)

const upperHex = "0123456789ABCDEF"

// escapePath %-encodes every byte not in keep, in upper-case hex. It
// returns p itself when nothing needs escaping.
func escapePath(p string, keep *keepSet) string {
	n := 0
	for i := 0; i < len(p); i++ {
		if !keep[p[i]] {
			n++
		}
	}
	if n == 0 {
		return p
	}
	b := make([]byte, 0, len(p)+2*n)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if keep[c] {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperHex[c>>4], upperHex[c&15])
	}
	return string(b)
}
