package config

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/mount"
	"github.com/jkbalancer/jkbalancer/config/props"
	"github.com/jkbalancer/jkbalancer/config/proxy"
)

// yamlConfig is what jkbalancer.yaml contributes before compilation.
type yamlConfig struct {
	server      Server
	workerProps []props.Token // JkWorkerProperty lines
	mounts      []mount.Line  // JkMount/JkUnMount rules
	options     []props.Token
	envVars     []EnvVar
	envPos      []Pos
	logPos      Pos
	// logFilePos, logRequestFilePos: the lines of log.file and
	// log.request_file (checkLogFile).
	logFilePos, logRequestFilePos Pos
	balancers                     []proxy.Balancer // balancers: (config/proxyyaml.go)
	proxyPass                     []proxy.Section  // proxy_pass:
}

// yamlLoader walks the yaml.Node tree so that every problem carries its
// line; unknown keys are errors, not silently dropped.
type yamlLoader struct {
	file, dir string
	key       string // dotted key being read, for problem reports
	c         *diag.Collector
	out       *yamlConfig
}

type yamlHandler func(y *yamlLoader, n *yaml.Node)

// yamlTopLevel is the schema of jkbalancer.yaml. Read-only.
var yamlTopLevel = map[string]yamlHandler{
	"listen":            (*yamlLoader).listen,
	"workers_file":      func(y *yamlLoader, n *yaml.Node) { y.out.server.WorkersFile = y.path(y.str(n)) },
	"mount_file":        func(y *yamlLoader, n *yaml.Node) { y.out.server.MountFile = y.path(y.str(n)) },
	"mount_file_reload": (*yamlLoader).mountFileReload,
	"config_reload":     (*yamlLoader).configReload,
	"server_name":       func(y *yamlLoader, n *yaml.Node) { y.out.server.ServerName = y.str(n) },
	"worker_properties": func(y *yamlLoader, n *yaml.Node) { y.out.workerProps = y.strList(n, false) },
	"mounts": func(y *yamlLoader, n *yaml.Node) {
		for _, t := range y.strList(n, false) {
			y.out.mounts = append(y.out.mounts, mount.Line{Key: t.Text, Pos: t.Pos})
		}
	},
	"options":          func(y *yamlLoader, n *yaml.Node) { y.out.options = y.strList(n, true) },
	"env_vars":         (*yamlLoader).envVars,
	"log":              (*yamlLoader).log,
	"shutdown_timeout": (*yamlLoader).shutdownTimeout,
	"balancers":        (*yamlLoader).balancers,
	"proxy_pass":       (*yamlLoader).proxyPass,
	"state_file":       (*yamlLoader).stateFile,
	"admin":            (*yamlLoader).admin,
	"limits":           (*yamlLoader).limits,
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// parseYAML reads jkbalancer.yaml over the defaults.
func parseYAML(data []byte, file string, c *diag.Collector) *yamlConfig {
	y := &yamlLoader{file: file, dir: filepath.Dir(file), c: c, out: &yamlConfig{server: defaultServer()}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 0
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		c.Errorf(Pos{File: file, Line: line}, "", "", "not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		return y.out
	}
	if len(doc.Content) == 0 {
		return y.out // empty file: all defaults
	}
	y.mapping(doc.Content[0], "", yamlTopLevel)
	return y.out
}

func (y *yamlLoader) pos(n *yaml.Node) Pos { return Pos{File: y.file, Line: n.Line} }

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

// mapping dispatches the keys of a mapping node to handlers; prefix is
// the dotted path of the mapping, for messages.
func (y *yamlLoader) mapping(n *yaml.Node, prefix string, handlers map[string]yamlHandler) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		y.c.Errorf(y.pos(n), "", strings.TrimSuffix(prefix, "."), "expected a mapping of keys to values")
		return
	}
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := prefix + k.Value
		h, ok := handlers[k.Value]
		switch {
		case !ok:
			y.c.Errorf(y.pos(k), "", key, "unknown key %q", key)
		case seen[k.Value] > 0:
			y.c.Errorf(y.pos(k), "", key, "key given twice (first at line %d)", seen[k.Value])
		default:
			seen[k.Value] = k.Line
			outer := y.key
			y.key = key
			h(y, v)
			y.key = outer
		}
	}
}

// str returns a scalar's text; null is "".
func (y *yamlLoader) str(n *yaml.Node) string {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		y.c.Errorf(y.pos(n), "", y.key, "expected a single value, not a list or mapping")
		return ""
	}
	if n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// strList accepts a sequence of scalars or one scalar; split breaks
// scalars at white space (JkOptions "+A -B").
func (y *yamlLoader) strList(n *yaml.Node, split bool) []props.Token {
	n = deref(n)
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []props.Token
	for _, it := range items {
		s := y.str(it)
		if !split {
			out = append(out, props.Token{Text: s, Pos: y.pos(it)})
			continue
		}
		for _, f := range strings.Fields(s) {
			out = append(out, props.Token{Text: f, Pos: y.pos(it)})
		}
	}
	return out
}

// path resolves a relative file name against the yaml file's directory.
func (y *yamlLoader) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(y.dir, p)
}

func (y *yamlLoader) int(n *yaml.Node) (int, bool) {
	var v int
	if err := deref(n).Decode(&v); err != nil {
		y.c.Errorf(y.pos(n), "", y.key, "expected a whole number, got %q", deref(n).Value)
		return 0, false
	}
	return v, true
}

func (y *yamlLoader) mountFileReload(n *yaml.Node) {
	if v, ok := y.int(n); ok {
		y.out.server.MountFileReload = max(v, 0) // JkMountFileReload: negative means 0 (off)
	}
}

// configReload reads config_reload: seconds between checks of the
// configuration files' content (0 = off; docs/reload.md#config-reload).
func (y *yamlLoader) configReload(n *yaml.Node) {
	if v, ok := y.int(n); ok {
		if v < 0 {
			y.c.Errorf(y.pos(n), "", y.key, "negative interval %d; 0 turns the check off", v)
			return
		}
		y.out.server.ConfigReload = time.Duration(v) * time.Second
	}
}

func (y *yamlLoader) shutdownTimeout(n *yaml.Node) {
	s := y.str(n)
	if s == "" {
		return
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, ierr := strconv.Atoi(s)
		if ierr != nil {
			y.c.Errorf(y.pos(n), "", "shutdown_timeout", "%q is not a duration: write e.g. 30s or 2m", s)
			return
		}
		d = time.Duration(secs) * time.Second
	}
	if d < 0 {
		y.c.Errorf(y.pos(n), "", "shutdown_timeout", "negative duration %s", s)
		return
	}
	y.out.server.ShutdownTimeout = d
}

// stateFile reads state_file: where the status worker's runtime edits are
// kept across restarts ("" = not kept, as in mod_jk).
func (y *yamlLoader) stateFile(n *yaml.Node) {
	y.out.server.StateFile = y.path(y.str(n))
}

// envVars reads JkEnvVar: a mapping NAME: value (null = no value: not
// sent), or a list of {name:, value:}.
func (y *yamlLoader) envVars(n *yaml.Node) {
	n = deref(n)
	add := func(name string, v *yaml.Node, pos Pos) {
		ev := EnvVar{Name: name}
		if v != nil && deref(v).Tag != "!!null" {
			ev.Value, ev.HasValue = y.str(v), true
		}
		y.out.envVars = append(y.out.envVars, ev)
		y.out.envPos = append(y.out.envPos, pos)
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			add(n.Content[i].Value, n.Content[i+1], y.pos(n.Content[i]))
		}
	case yaml.SequenceNode:
		for _, it := range n.Content {
			var name string
			var val *yaml.Node
			y.mapping(it, "env_vars.", map[string]yamlHandler{
				"name":  func(y *yamlLoader, v *yaml.Node) { name = y.str(v) },
				"value": func(_ *yamlLoader, v *yaml.Node) { val = v },
			})
			add(name, val, y.pos(it))
		}
	default:
		y.c.Errorf(y.pos(n), "", "env_vars", "expected a mapping NAME: value or a list of {name:, value:}")
	}
}

func (y *yamlLoader) log(n *yaml.Node) {
	l := &y.out.server.Log
	y.out.logPos = y.pos(n)
	y.mapping(n, "log.", map[string]yamlHandler{
		"file": func(y *yamlLoader, v *yaml.Node) {
			l.File, y.out.logFilePos = y.path(y.str(v)), y.pos(v)
		},
		"level":  func(y *yamlLoader, v *yaml.Node) { l.Level = y.str(v) },
		"format": func(y *yamlLoader, v *yaml.Node) { l.Format = y.str(v) },

		"request_format": func(y *yamlLoader, v *yaml.Node) { l.RequestFormat = y.str(v) },
		"request_file": func(y *yamlLoader, v *yaml.Node) {
			l.RequestFile, y.out.logRequestFilePos = y.path(y.str(v)), y.pos(v)
		},
	})
}
