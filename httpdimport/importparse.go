package httpdimport

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
)

// Reading an httpd configuration for `jkbalancer import` the way httpd
// does (server/config.c, util.c ap_getword_conf): logical lines joined at
// a trailing backslash, '#' comments at the start of a line only,
// quoted arguments, <Section arg> blocks, Include and IncludeOptional with
// globs relative to ServerRoot, Define and ${VAR}, and the conditionals
// <IfModule>, <IfDefine>, <IfFile>, <IfVersion>, <IfDirective>,
// <IfSection> evaluated at read time. The result is a flat list of
// directives, each with the sections that enclose it.

// hSection is one enclosing <Section arg> block.
type hSection struct {
	name string // lower case: virtualhost, location, proxy, directory, if ...
	arg  string
	args []string
	pos  config.Pos
}

// hDirective is one directive with its arguments after ${VAR}
// substitution.
type hDirective struct {
	name string // lower case
	text string // the directive as written (for leftover reports)
	args []string
	pos  config.Pos
	sect []*hSection // enclosing sections, outermost first
	root string      // the ServerRoot in force, for relative paths
	idx  int         // 1 + its position in the reading order (0: made up for a report)
}

// in returns the innermost enclosing section named name, or nil.
func (d *hDirective) in(name string) *hSection {
	for i := len(d.sect) - 1; i >= 0; i-- {
		if d.sect[i].name == name {
			return d.sect[i]
		}
	}
	return nil
}

// maxIncludeDepth bounds Include nesting (httpd's AP_MAX_INCLUDE_DEPTH).
const maxIncludeDepth = 128

// builtinModules are compiled into Debian's apache2 binary, so
// <IfModule> finds them without LoadModule.
var builtinModules = []string{"core.c", "mod_so.c", "mod_watchdog.c", "http_core.c", "mod_log_config.c",
	"mod_logio.c", "mod_version.c", "mod_unixd.c", "core_module", "so_module", "watchdog_module",
	"http_module", "log_config_module", "logio_module", "version_module", "unixd_module"}

// hReader reads one configuration tree.
type hReader struct {
	root    string // ServerRoot
	read    func(string) ([]byte, error)
	lookup  func(string) (string, bool)
	defines map[string]string
	loaded  map[string]bool
	anyLoad bool // a LoadModule was seen: <IfModule> is evaluated strictly
	out     []hDirective
	left    *[]Leftover
	depth   int
}

// frame is one open block while reading a file: a section that scopes
// directives, or a conditional that was true (active) or false.
type frame struct {
	name    string
	sect    *hSection // nil for conditionals
	skip    bool      // a false conditional: its content is dropped
	perReq  bool      // <If>/<ElseIf>/<Else>: content reported, not imported
	pos     config.Pos
	openTag string
}

// readFile reads one file (the main one, or an included one) into r.out.
func (r *hReader) readFile(file string, sects []*hSection) error {
	if r.depth >= maxIncludeDepth {
		return fmt.Errorf("%s: Include nested more than %d deep (a loop?)", file, maxIncludeDepth)
	}
	data, err := r.read(file)
	if err != nil {
		return err
	}
	r.depth++
	defer func() { r.depth-- }()
	var stack []frame
	skipping := func() bool {
		for _, f := range stack {
			if f.skip {
				return true
			}
		}
		return false
	}
	for _, ln := range logicalLines(string(data)) {
		pos := config.Pos{File: file, Line: ln.n}
		text := strings.TrimSpace(ln.text)
		if text == "" || text[0] == '#' {
			continue
		}
		enclosing := append(append([]*hSection(nil), sects...), openSections(stack)...)
		switch {
		case strings.HasPrefix(text, "</"):
			name := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(text[2:]), ">"))
			if len(stack) == 0 || stack[len(stack)-1].name != name {
				return fmt.Errorf("%s: </%s> without a matching <%s>", pos, name, name)
			}
			stack = stack[:len(stack)-1]
		case text[0] == '<':
			f, err := r.openBlock(text, pos, skipping())
			if err != nil {
				return err
			}
			stack = append(stack, f)
		case skipping():
		default:
			if err := r.directive(text, pos, enclosing, stack); err != nil {
				return err
			}
		}
	}
	if len(stack) > 0 {
		f := stack[len(stack)-1]
		return fmt.Errorf("%s: %s is never closed", f.pos, f.openTag)
	}
	return nil
}

func openSections(stack []frame) []*hSection {
	var out []*hSection
	for _, f := range stack {
		if f.sect != nil {
			out = append(out, f.sect)
		}
	}
	return out
}

// openBlock reads "<Name args>".
func (r *hReader) openBlock(text string, pos config.Pos, skipping bool) (frame, error) {
	if !strings.HasSuffix(text, ">") {
		return frame{}, fmt.Errorf("%s: %q: a section line must end with '>'", pos, text)
	}
	inner := strings.TrimSpace(text[1 : len(text)-1])
	words := splitArgs(r.substitute(inner))
	if len(words) == 0 {
		return frame{}, fmt.Errorf("%s: empty section tag <>", pos)
	}
	name := strings.ToLower(words[0])
	f := frame{name: name, pos: pos, openTag: "<" + words[0] + ">"}
	args := words[1:]
	if skipping {
		f.skip = true
		return f, nil
	}
	switch name {
	case "ifmodule", "ifdefine", "iffile", "ifversion", "ifdirective", "ifsection":
		f.skip = !r.condition(name, args)
	case "if", "elseif", "else":
		f.perReq = true
		f.sect = &hSection{name: name, arg: strings.Join(args, " "), args: args, pos: pos}
	default:
		arg := ""
		if len(args) > 0 {
			arg = args[0]
		}
		f.sect = &hSection{name: name, arg: arg, args: args, pos: pos}
	}
	return f, nil
}

// condition evaluates a read-time conditional section.
func (r *hReader) condition(name string, args []string) bool {
	if len(args) == 0 {
		return false
	}
	arg, neg := args[0], false
	if strings.HasPrefix(arg, "!") {
		arg, neg = arg[1:], true
	}
	var ok bool
	switch name {
	case "ifmodule":
		// A configuration fragment without any LoadModule is read as if
		// every module were loaded: it is the part httpd ran.
		ok = !r.anyLoad || r.loaded[arg]
	case "ifdefine":
		_, ok = r.defines[arg]
	case "iffile":
		_, err := os.Stat(r.abs(arg))
		ok = err == nil
	default: // IfVersion, IfDirective, IfSection: jkbalancer stands in for httpd 2.4
		return true
	}
	return ok != neg
}

// directive handles one directive line; Include, Define and LoadModule
// are acted on here, everything else is collected.
func (r *hReader) directive(text string, pos config.Pos, sects []*hSection, stack []frame) error {
	words := splitArgs(r.substitute(text))
	if len(words) == 0 {
		return nil
	}
	d := hDirective{name: strings.ToLower(words[0]), text: text, args: words[1:], pos: pos, sect: sects, root: r.root}
	switch d.name {
	case "include", "includeoptional":
		for _, a := range d.args {
			if err := r.include(a, d.name == "includeoptional", pos, sects); err != nil {
				return err
			}
		}
		return nil
	case "define":
		if len(d.args) > 0 {
			r.defines[d.args[0]] = strings.Join(d.args[1:], " ")
		}
		return nil
	case "undefine":
		if len(d.args) > 0 {
			delete(r.defines, d.args[0])
		}
		return nil
	case "serverroot":
		if len(d.args) == 1 {
			r.root = d.args[0]
		}
	case "loadmodule":
		if len(d.args) == 2 {
			r.anyLoad = true
			r.loaded[d.args[0]] = true
			base := strings.TrimSuffix(filepath.Base(d.args[1]), filepath.Ext(d.args[1]))
			r.loaded[base+".c"] = true
		}
	}
	for _, f := range stack {
		if f.perReq {
			l := Leftover{Pos: pos, Directive: text, seq: len(r.out),
				Reason: "inside <" + f.sect.name + " " + f.sect.arg + ">, an expression httpd evaluates per request; not imported"}
			if accessDirectives[d.name] {
				l.Error, l.Reason = true, l.Reason+": an access rule jkbalancer cannot carry, so it is less restrictive than httpd here"
			}
			*r.left = append(*r.left, l)
			return nil
		}
	}
	r.out = append(r.out, d)
	return nil
}

// include reads the files an Include names: a file, a directory (every
// file in it, sorted) or a glob (sorted). A wildcard that matches nothing
// is an error for Include and fine for IncludeOptional, as in httpd.
func (r *hReader) include(pattern string, optional bool, pos config.Pos, sects []*hSection) error {
	p := r.abs(pattern)
	var files []string
	if strings.ContainsAny(p, "*?[") {
		m, err := filepath.Glob(p)
		if err != nil {
			return fmt.Errorf("%s: Include %s: %v", pos, pattern, err)
		}
		if len(m) == 0 && !optional {
			return fmt.Errorf("%s: Include %s: no file matches the wildcard (httpd refuses to start; use IncludeOptional)", pos, pattern)
		}
		files = m
	} else if st, err := os.Stat(p); err == nil && st.IsDir() {
		entries, err := os.ReadDir(p)
		if err != nil {
			return fmt.Errorf("%s: Include %s: %v", pos, pattern, err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				files = append(files, filepath.Join(p, e.Name()))
			}
		}
	} else if err != nil {
		if optional {
			return nil
		}
		return fmt.Errorf("%s: Include %s: %v", pos, pattern, err)
	} else {
		files = []string{p}
	}
	sort.Strings(files)
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.IsDir() {
			continue
		}
		if err := r.readFile(f, sects); err != nil {
			return err
		}
	}
	return nil
}

// abs resolves a path against ServerRoot, as httpd's ap_server_root_relative.
func (r *hReader) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(r.root, p)
}

// substitute replaces ${VAR} by a Define, else the environment; an
// unknown name is left as written (httpd warns and does the same).
func (r *hReader) substitute(s string) string {
	for from := 0; ; {
		i := strings.Index(s[from:], "${")
		if i < 0 {
			return s
		}
		i += from
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return s
		}
		j += i
		name := s[i+2 : j]
		v, ok := r.defines[name]
		if !ok && r.lookup != nil {
			v, ok = r.lookup(name)
		}
		if !ok {
			from = j + 1
			continue
		}
		s = s[:i] + v + s[j+1:]
		from = i + len(v)
	}
}
