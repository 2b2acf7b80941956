package server

import "strings"

// hostName reads a Host value the way httpd's fix_hostname does before
// it becomes the server name mod_jk forwards (ap_get_server_name with
// UseCanonicalName Off): the name lowercased, one trailing dot dropped,
// an IPv6 literal without its brackets, and the port, if any. ok is false
// where httpd answers 400: an empty label ("a..b"), a name that is only
// a dot, an empty or non-numeric port, an unclosed bracket. "" is fine:
// there is no Host. Nothing is allocated unless the name has capitals.
func hostName(h string) (name, port string, ok bool) {
	if h == "" {
		return "", "", true
	}
	if h[0] == '[' {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", "", false
		}
		name, rest := h[1:end], h[end+1:]
		if rest != "" {
			if rest[0] != ':' || !digits(rest[1:]) {
				return "", "", false
			}
			port = rest[1:]
		}
		return strings.ToLower(name), port, name != ""
	}
	name = h
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		name, port = h[:i], h[i+1:]
		if !digits(port) {
			return "", "", false
		}
	}
	if strings.Contains(name, "..") {
		return "", "", false
	}
	name = strings.TrimSuffix(name, ".")
	return strings.ToLower(name), port, name != ""
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// absoluteHost is the Host httpd forwards for an absolute-form target
// ("GET http://Name.:8080/x"): it replaces the client's Host with the
// target's authority, the name normalised as fix_hostname does and the
// port as given. authority passed hostName.
func absoluteHost(authority string) string {
	name, port, _ := hostName(authority)
	if strings.IndexByte(name, ':') >= 0 {
		name = "[" + name + "]"
	}
	if port != "" {
		return name + ":" + port
	}
	return name
}
