package config

import (
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/mount"
	"github.com/jkbalancer/jkbalancer/config/props"
	"github.com/jkbalancer/jkbalancer/config/proxy"
)

// Pos, Problem and Problems are config/diag's, shared with the readers
// below config (props); callers keep naming them config.Problems.
type (
	Pos      = diag.Pos
	Problem  = diag.Problem
	Problems = diag.Problems
)

// Sources names everything Load reads. The command line overrides the
// yaml file.
type Sources struct {
	ConfigFile  string   // jkbalancer.yaml ("" = none)
	WorkersFile string   // overrides the yaml's workers_file
	MountFile   string   // overrides the yaml's mount_file
	Mounts      []string // --mount values, "PATTERN=WORKER[;ext..]" or "PATTERN WORKER"; source JkMount
	Listen      []string // --listen values; replace the yaml's listeners when non-empty
	// Admin is --admin: the admin listener's address ("" = the yaml's or
	// the default, "off" = none).
	Admin string
	// StateFile is --state-file: it replaces the yaml's state_file.
	// DefaultStateFile is used when neither names one (serve passes
	// $STATE_DIRECTORY/status.json): docs/status-worker.md#edits-that-survive-a-restart.
	StateFile, DefaultStateFile string
	// ConfigReload is --config-reload: it replaces the yaml's
	// config_reload when not nil (docs/reload.md#config-reload).
	ConfigReload *time.Duration
	// LookupEnv resolves $(name) when no earlier property has that name;
	// nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// ReadFile reads the yaml, workers and mount files and the listeners'
	// certificates; nil means os.ReadFile. A fuzz test outside this
	// package (httpdimport's) loads from memory with it.
	ReadFile func(string) ([]byte, error)
}

// Load parses, validates and compiles the configuration. It reports every
// problem it finds, not just the first. cfg is nil when there is at least
// one error; warnings are both returned and kept in cfg.Warnings.
func Load(src Sources) (*Config, Problems) {
	return newLoader(src).load()
}

// LoadPartial is Load for `jkbalancer check`: it returns what compiled
// even when there are errors, so that the risk warnings of the rest can be
// reported together with the errors. A configuration with errors must
// never be served: only Risks may read it.
func LoadPartial(src Sources) (*Config, Problems) {
	return newLoader(src).compile()
}

func newLoader(src Sources) *loader {
	read := src.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	return &loader{src: src, read: read, getwd: os.Getwd}
}

// SortProblems orders ps by file (in order of first appearance) and line,
// as Load reports them; the order of problems on one line is kept.
func SortProblems(ps Problems) { sortProblems(ps) }

// LoadMountFile reads a uriworkermap.properties file on its own, for
// JkMountFileReload. The rules are unsorted; pass them, together with the
// JkMount and worker.X.mount rules kept from Load, to NewMountTable, and
// to Config.CheckMounts for the worker checks.
func LoadMountFile(path string, lookup func(string) (string, bool)) ([]Mount, Problems) {
	var c diag.Collector
	data, err := os.ReadFile(path)
	if err != nil {
		c.Errorf(Pos{File: path}, "", "mount_file", "cannot read the mount file: %v", err)
		return nil, c.Problems
	}
	if lookup == nil {
		lookup = os.LookupEnv
	}
	return mount.ParseFile(data, path, lookup, &c), c.Problems
}

// loader holds one Load; read and getwd are replaceable for tests and
// fuzzing.
type loader struct {
	src   Sources
	read  func(string) ([]byte, error)
	getwd func() (string, error)
	c     diag.Collector
}

// load is compile with nil for a configuration with errors.
func (l *loader) load() (*Config, Problems) {
	cfg, problems := l.compile()
	if l.c.Failed() {
		return nil, problems
	}
	return cfg, problems
}

// compile reads and compiles everything; the result is incomplete when
// there are errors.
func (l *loader) compile() (*Config, Problems) {
	lookup := l.src.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	y := &yamlConfig{server: defaultServer()}
	if f := l.src.ConfigFile; f != "" {
		if data, ok := l.readFile(f, "config"); ok {
			y = parseYAML(data, f, &l.c)
		}
	}
	srv := l.server(y)
	m := props.NewMap(lookup)
	root := &props.Prop{Key: "ServerRoot", Value: l.serverRoot(srv.WorkersFile), Seed: true}
	m.Entries, m.Index[root.Key] = append(m.Entries, root), root
	for _, t := range y.workerProps { // JkWorkerProperty is read before the file
		m.ReadLine(t.Text, t.Pos, &l.c)
	}
	if f := srv.WorkersFile; f != "" {
		if data, ok := l.readFile(f, "workers_file"); ok {
			props.ForEachLine(data, func(line string, n int) { m.ReadLine(line, Pos{File: f, Line: n}, &l.c) })
		}
	}
	// balancers: of jkbalancer.yaml, as workers.properties lines after the file.
	plan := proxy.Compile(y.balancers, m, &l.c)
	m.ResolveReferences(&l.c)
	list, maintain, workers := compileWorkers(m, &l.c)
	attachProxyMembers(plan, workers)
	rules := l.mounts(srv, y, m, list, workers, lookup)
	cfg := &Config{Server: srv, List: list, Maintain: maintain, Workers: workers,
		Mounts: NewMountTable(rules), Properties: properties(m)}
	l.c.Problems = append(l.c.Problems, cfg.CheckMounts(rules)...)
	sortProblems(l.c.Problems)
	cfg.Warnings = l.c.Problems.Warnings()
	return cfg, l.c.Problems
}

func (l *loader) readFile(name, prop string) ([]byte, bool) {
	data, err := l.read(name)
	if err != nil {
		l.c.Errorf(Pos{File: name}, "", prop, "cannot read %s: %v", name, err)
		return nil, false
	}
	return data, true
}

// server applies the command line over the yaml settings and validates
// the httpd-side options.
func (l *loader) server(y *yamlConfig) Server {
	srv := y.server
	if l.src.WorkersFile != "" {
		srv.WorkersFile = l.src.WorkersFile
	}
	if l.src.MountFile != "" {
		srv.MountFile = l.src.MountFile
	}
	switch {
	case l.src.StateFile != "":
		srv.StateFile = l.src.StateFile
	case srv.StateFile == "":
		srv.StateFile = l.src.DefaultStateFile
	}
	if d := l.src.ConfigReload; d != nil {
		srv.ConfigReload = max(*d, 0)
	}
	if len(l.src.Listen) > 0 {
		srv.Listen = nil
		for _, a := range l.src.Listen {
			if msg := CheckListenAddr(a); msg != "" {
				l.c.Errorf(Pos{}, "", "listen", "%s", msg)
				continue
			}
			srv.Listen = append(srv.Listen, Listener{Addr: a})
		}
	}
	if len(srv.Listen) == 0 {
		l.c.Errorf(Pos{File: l.src.ConfigFile}, "", "listen", "no valid listen address: jkbalancer would accept no connections; add one, e.g. \":8080\"")
	}
	checkListenerTLS(srv.Listen, l.read, time.Now(), &l.c)
	srv.Options = parseOptions(y.options, &l.c)
	srv.EnvVars = checkEnvVars(y.envVars, y.envPos, &l.c)
	checkLog(srv.Log, y.logPos, &l.c)
	checkLogFile(srv.Log.File, y.logFilePos, "log.file", &l.c)
	checkLogFile(srv.Log.RequestFile, y.logRequestFilePos, "log.request_file", &l.c)
	l.admin(&srv.Admin)
	return srv
}

// serverRoot is the value pre-seeded as $(ServerRoot): mod_jk uses
// httpd's ServerRoot; jkbalancer uses the directory of its config file,
// else of the workers file, else the working directory.
func (l *loader) serverRoot(workersFile string) string {
	for _, f := range []string{l.src.ConfigFile, workersFile} {
		if f != "" {
			if abs, err := filepath.Abs(filepath.Dir(f)); err == nil {
				return abs
			}
			return filepath.Dir(f)
		}
	}
	if wd, err := l.getwd(); err == nil {
		return wd
	}
	return "."
}

// mounts collects the rules of every source. Without any file and any
// rule, mod_jk's defaults apply: worker ajp13 mounted at /*.
func (l *loader) mounts(srv Server, y *yamlConfig, m *props.Map, list []string, workers map[string]*Worker,
	lookup func(string) (string, bool)) []Mount {
	var rules []Mount
	if f := srv.MountFile; f != "" {
		if data, ok := l.readFile(f, "mount_file"); ok {
			rules = mount.ParseFile(data, f, lookup, &l.c)
		}
	}
	inline := append([]mount.Line(nil), y.mounts...)
	for _, s := range l.src.Mounts {
		inline = append(inline, mount.Line{Key: s})
	}
	rules = append(rules, mount.ParseInline(inline, lookup, &l.c)...)
	rules = append(rules, workerMounts(m, list, workers, &l.c)...)
	rules = append(rules, proxyMounts(y.proxyPass, workers, list, &l.c)...)
	if len(rules) > 0 {
		return rules
	}
	if srv.WorkersFile == "" && srv.MountFile == "" {
		return []Mount{{Pattern: "/*", Worker: "ajp13", Wildcard: true, Source: SourceJkMount, Ext: Extensions{ReplyTimeout: -1}}}
	}
	at := Pos{File: srv.WorkersFile}
	if at.File == "" {
		at.File = srv.MountFile
	}
	l.c.Warnf(at, "", "mount", "no mount rules: every request will get 404; add a mount_file, mounts in jkbalancer.yaml, --mount or worker.NAME.mount")
	return nil
}

// attachProxyMembers hangs the ProxyMember records of the balancers:
// section on the compiled members.
func attachProxyMembers(p *proxy.Plan, workers map[string]*Worker) {
	if p == nil {
		return
	}
	for name, pm := range p.Members {
		if w := workers[name]; w != nil && w.Member != nil {
			w.Member.Proxy = pm
		}
	}
}

// properties returns the map as the exported, ordered Property list.
func properties(m *props.Map) []Property {
	out := make([]Property, len(m.Entries))
	for i, p := range m.Entries {
		out[i] = Property{Pos: p.Pos, Key: p.Key, Value: p.Value}
	}
	return out
}

// sortProblems orders problems by file (in the order the files were
// first mentioned) and line, so the report reads like the files do;
// problems of one line keep the order they were found in.
func sortProblems(ps Problems) {
	rank := make(map[string]int)
	for _, p := range ps {
		if _, ok := rank[p.Pos.File]; !ok {
			rank[p.Pos.File] = len(rank)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Pos, ps[j].Pos
		if a.File != b.File {
			return rank[a.File] < rank[b.File]
		}
		return a.Line < b.Line
	})
}
