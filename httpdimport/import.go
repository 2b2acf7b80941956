// Package httpdimport is `jkbalancer import httpd.conf`: an httpd
// configuration running mod_jk or mod_proxy_balancer becomes a
// jkbalancer.yaml that config.Load accepts. The workers.properties and
// uriworkermap files it names are referenced where they are, unchanged.
// Every directive that is not carried over, or not exactly, is reported
// as a Leftover with its line and the reason. config does not import
// this package: the importer writes yaml, it does not build a Config.
package httpdimport

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/jkbalancer/jkbalancer/config"
)

// Leftover is one directive the import could not carry over (exactly).
type Leftover struct {
	Pos       config.Pos
	Directive string // as written
	Reason    string
	// Error marks an access rule that is not carried over (or not
	// exactly): the result would let in clients httpd kept out.
	Error bool
	seq   int // reading order, for sorting
}

func (l Leftover) String() string {
	if l.Error {
		return fmt.Sprintf("%s: error: %s: %s", l.Pos, l.Directive, l.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", l.Pos, l.Directive, l.Reason)
}

// Errors counts the error-level leftovers.
func (im *Imported) Errors() int {
	n := 0
	for _, l := range im.Leftovers {
		if l.Error {
			n++
		}
	}
	return n
}

// Options tunes Import.
type Options struct {
	// ServerRoot is httpd's ServerRoot until the file sets one; "" means
	// the directory of the file (Debian's /etc/apache2/apache2.conf).
	ServerRoot string
	// LookupEnv resolves ${VAR} that no Define set; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// readFile reads a configuration file; nil means os.ReadFile (the
	// fuzz test reads from memory).
	readFile func(string) ([]byte, error)
}

// Imported is the result of Import.
type Imported struct {
	YAML      []byte     // jkbalancer.yaml
	Leftovers []Leftover // in reading order
	// Directives counts the directives that were carried over.
	Directives int
}

// Import reads an httpd configuration and converts it. The error is
// set only when the configuration cannot be read or parsed (a file that
// cannot be opened, an unclosed section, an Include that matches
// nothing); everything else is a Leftover.
func Import(file string, opt Options) (*Imported, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	root := opt.ServerRoot
	if root == "" {
		root = filepath.Dir(abs)
	}
	lookup := opt.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	read := opt.readFile
	if read == nil {
		read = os.ReadFile
	}
	var left []Leftover
	r := &hReader{root: root, read: read, lookup: lookup, defines: map[string]string{},
		loaded: map[string]bool{}, left: &left}
	for _, m := range builtinModules {
		r.loaded[m] = true
	}
	if err := r.readFile(abs, nil); err != nil {
		return nil, err
	}
	im := newImporter(abs, r.root)
	im.left = left
	im.read = read
	for i := range r.out {
		im.seq = i
		r.out[i].idx = i + 1
		im.directive(&r.out[i])
	}
	im.seq = len(r.out)
	im.finish()
	sort.SliceStable(im.left, func(i, j int) bool { return im.left[i].seq < im.left[j].seq })
	return &Imported{YAML: im.yaml(), Leftovers: im.left, Directives: im.done}, nil
}
