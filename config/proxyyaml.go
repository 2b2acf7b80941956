package config

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/jkbalancer/jkbalancer/config/props"
	"github.com/jkbalancer/jkbalancer/config/proxy"
)

// The balancers: and proxy_pass: sections of jkbalancer.yaml are read
// here as raw text with their lines; config/proxy validates and
// compiles them, so every message names the yaml key it is about.

// Keys of a balancer and of a member, after the mod_proxy_balancer
// parameter of the same name (httpd mod_proxy.c set_balancer_param and
// set_worker_param).
var (
	balancerKeys = []string{"lbmethod", "stickysession", "stickysessionsep", "nofailover", "maxattempts",
		"timeout", "failonstatus", "forcerecovery"}
	memberKeys = []string{"url", "route", "loadfactor", "lbset", "status", "retry", "redirect", "secret",
		"timeout", "connectiontimeout", "ping", "max", "ttl", "acquire", "keepalive", "tls_verify", "tls_ca_file"}
	proxyPassKeys = []string{"path", "to", "reverse", "reverse_cookie_path"}
)

// balancers reads balancers: NAME -> {keys..., members: [...]}.
func (y *yamlLoader) balancers(n *yaml.Node) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		y.c.Errorf(y.pos(n), "", "balancers", "expected a mapping of balancer names to their settings")
		return
	}
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := "balancers." + k.Value
		if line := seen[k.Value]; line > 0 {
			y.c.Errorf(y.pos(k), "", key, "balancer given twice (first at line %d)", line)
			continue
		}
		seen[k.Value] = k.Line
		b := proxy.Balancer{Name: k.Value}
		b.Section = y.rawSection(v, key, balancerKeys, func(y *yamlLoader, mv *yaml.Node) {
			b.Members = y.members(mv, key+".members")
		})
		b.Pos = y.pos(k)
		y.out.balancers = append(y.out.balancers, b)
	}
}

// members reads the members: list of one balancer.
func (y *yamlLoader) members(n *yaml.Node, key string) []proxy.Section {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		y.c.Errorf(y.pos(n), "", key, "expected a list of members, each with at least url:")
		return nil
	}
	out := make([]proxy.Section, 0, len(n.Content))
	for i, it := range n.Content {
		out = append(out, y.rawSection(it, key+"["+strconv.Itoa(i+1)+"]", memberKeys, nil))
	}
	return out
}

// proxyPass reads proxy_pass: a list of {path, to, reverse, reverse_cookie_path}.
func (y *yamlLoader) proxyPass(n *yaml.Node) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		y.c.Errorf(y.pos(n), "", "proxy_pass", "expected a list of {path:, to:} entries")
		return
	}
	for i, it := range n.Content {
		y.out.proxyPass = append(y.out.proxyPass, y.rawSection(it, "proxy_pass["+strconv.Itoa(i+1)+"]", proxyPassKeys, nil))
	}
}

// rawSection reads a mapping whose keys are all scalars from keys;
// members, when not nil, handles the key "members". A list value (e.g.
// failonstatus: [500, 503]) is joined with ','.
func (y *yamlLoader) rawSection(n *yaml.Node, key string, keys []string, members yamlHandler) proxy.Section {
	s := proxy.Section{Key: key, Pos: y.pos(n), Vals: make(map[string]props.Token)}
	handlers := make(map[string]yamlHandler, len(keys)+1)
	for _, k := range keys {
		handlers[k] = func(y *yamlLoader, v *yaml.Node) {
			v = deref(v)
			if v.Kind == yaml.SequenceNode {
				parts := y.strList(v, false)
				s.Vals[k] = props.Token{Text: strings.Join(tokenTexts(parts), ","), Pos: y.pos(v)}
				return
			}
			s.Vals[k] = props.Token{Text: y.str(v), Pos: y.pos(v)}
		}
	}
	if members != nil {
		handlers["members"] = members
	}
	y.mapping(n, key+".", handlers)
	return s
}
