package config

import (
	"strings"
	"time"

	"github.com/jkbalancer/jkbalancer/config/diag"
	"github.com/jkbalancer/jkbalancer/config/props"
)

// optionSpec describes one JkOptions name (docs/config.md#jkoptions).
type optionSpec struct {
	name  string // canonical spelling, for messages
	apply func(o *Options, on bool)
	// uri marks the four ForwardURI* options: one shared mask in mod_jk,
	// so setting one replaces another and '-' is refused.
	uri bool
	// ignored marks options mod_jk accepts and ignores (CollapseSlashes*,
	// deprecated since 1.2.44: slashes are always collapsed for matching).
	ignored bool
}

func uriOption(name string, f ForwardURI) optionSpec {
	return optionSpec{name: name, uri: true, apply: func(o *Options, _ bool) { o.ForwardURI = f }}
}

func boolOption(name string, field func(*Options) *bool) optionSpec {
	return optionSpec{name: name, apply: func(o *Options, on bool) { *field(o) = on }}
}

// optionTable is keyed by the lower-cased name: httpd compares JkOptions
// case-insensitively. Read-only.
var optionTable = map[string]optionSpec{
	"forwarduriproxy":          uriOption("ForwardURIProxy", ForwardURIProxy),
	"forwarduricompatunparsed": uriOption("ForwardURICompatUnparsed", ForwardURICompatUnparsed),
	"forwarduricompat":         uriOption("ForwardURICompat", ForwardURICompat),
	"forwarduriescaped":        uriOption("ForwardURIEscaped", ForwardURIEscaped),
	"rejectunsafeuri":          boolOption("RejectUnsafeURI", func(o *Options) *bool { return &o.RejectUnsafeURI }),
	"forwarddirectories":       boolOption("ForwardDirectories", func(o *Options) *bool { return &o.ForwardDirectories }),
	"flushpackets":             boolOption("FlushPackets", func(o *Options) *bool { return &o.FlushPackets }),
	"flushheader":              boolOption("FlushHeader", func(o *Options) *bool { return &o.FlushHeader }),
	"disablereuse":             boolOption("DisableReuse", func(o *Options) *bool { return &o.DisableReuse }),
	"forwardkeysize":           boolOption("ForwardKeySize", func(o *Options) *bool { return &o.ForwardKeySize }),
	"forwardsslcertchain":      boolOption("ForwardSSLCertChain", func(o *Options) *bool { return &o.ForwardSSLCertChain }),
	// The two address options share one mask in mod_jk: setting one
	// clears the other.
	"forwardlocaladdress": {name: "ForwardLocalAddress", apply: func(o *Options, on bool) {
		o.ForwardLocalAddress = on
		if on {
			o.ForwardPhysicalAddress = false
		}
	}},
	"forwardphysicaladdress": {name: "ForwardPhysicalAddress", apply: func(o *Options, on bool) {
		o.ForwardPhysicalAddress = on
		if on {
			o.ForwardLocalAddress = false
		}
	}},
	"collapseslashesall":     {name: "CollapseSlashesAll", ignored: true},
	"collapseslashesnone":    {name: "CollapseSlashesNone", ignored: true},
	"collapseslashesunmount": {name: "CollapseSlashesUnmount", ignored: true},
}

// DefaultOptions is mod_jk's JkOptions default set: ForwardURIProxy and
// ForwardKeySize.
func DefaultOptions() Options {
	return Options{ForwardURI: ForwardURIProxy, ForwardKeySize: true}
}

// parseOptions applies JkOptions tokens in order to the default set. A
// name without + or - counts as +.
func parseOptions(toks []props.Token, c *diag.Collector) Options {
	o := DefaultOptions()
	var uriTok *props.Token
	for i := range toks {
		t := &toks[i]
		on, name := true, t.Text
		if name != "" && (name[0] == '+' || name[0] == '-') {
			on, name = name[0] == '+', name[1:]
		}
		spec, ok := optionTable[strings.ToLower(name)]
		switch {
		case !ok:
			c.Errorf(t.Pos, "", "options", "unknown JkOptions option %q", t.Text)
		case spec.ignored:
			c.Warnf(t.Pos, "", "options", "%s is deprecated and ignored (slashes are always collapsed before matching)", spec.name)
		case spec.uri && !on:
			c.Errorf(t.Pos, "", "options", "-%s: ForwardURI options cannot be disabled; set exactly one of +ForwardURIProxy (default), +ForwardURICompatUnparsed, +ForwardURICompat, +ForwardURIEscaped", spec.name)
		default:
			if spec.uri {
				if uriTok != nil {
					c.Warnf(t.Pos, "", "options", "%s and %s (%s) are mutually exclusive: the later one, %s, is used", spec.name, uriTok.Text, uriTok.Pos, spec.name)
				}
				uriTok = t
			}
			spec.apply(&o, on)
		}
	}
	return o
}

// forbiddenEnvPrefixes are request attribute names that must never be
// sent to Tomcat, whoever configured them (Ghostcat, docs/ajp13.md#ghostcat):
// they let the request read or execute any file of the webapp.
var forbiddenEnvPrefixes = []string{
	"javax.servlet.include.", "jakarta.servlet.include.",
	"javax.servlet.forward.", "jakarta.servlet.forward.",
	"javax.servlet.error.", "jakarta.servlet.error.",
	"javax.servlet.async.", "jakarta.servlet.async.",
	"org.apache.",
}

// checkEnvVars refuses dangerous JkEnvVar names and resolves repeats
// (the later one wins, like httpd's table merge). pos[i] is vars[i]'s line.
func checkEnvVars(vars []EnvVar, pos []Pos, c *diag.Collector) []EnvVar {
	var out []EnvVar
	index := make(map[string]int)
	for i, v := range vars {
		if v.Name == "" {
			c.Errorf(pos[i], "", "env_vars", "JkEnvVar without a name: give each entry a name")
			continue
		}
		lower := strings.ToLower(v.Name)
		bad := false
		for _, p := range forbiddenEnvPrefixes {
			bad = bad || strings.HasPrefix(lower, p)
		}
		if bad {
			c.Errorf(pos[i], "", "env_vars", "refusing JkEnvVar %q: names under javax/jakarta.servlet.{include,forward,error,async}.* and org.apache.* let a request read or run any file of the webapp (Ghostcat, CVE-2020-1938)", v.Name)
			continue
		}
		if j, dup := index[v.Name]; dup {
			c.Warnf(pos[i], "", "env_vars", "JkEnvVar %s is given twice: the later one wins", v.Name)
			out[j] = v
			continue
		}
		index[v.Name] = len(out)
		out = append(out, v)
	}
	return out
}

// checkLog validates the log settings.
func checkLog(l Log, pos Pos, c *diag.Collector) {
	switch l.Level {
	case "trace", "debug", "info", "warn", "error":
	default:
		c.Errorf(pos, "", "log.level", "unknown log level %q: use trace, debug, info, warn or error", l.Level)
	}
	switch l.Format {
	case "text", "json":
	default:
		c.Errorf(pos, "", "log.format", "unknown log format %q: use text or json", l.Format)
	}
}

// defaultServer is what jkbalancer uses without a jkbalancer.yaml.
func defaultServer() Server {
	return Server{
		Listen:          []Listener{{Addr: ":8080"}},
		MountFileReload: 60,
		Options:         DefaultOptions(),
		Log:             Log{Level: "info", Format: "text"},
		ShutdownTimeout: 30 * time.Second,
		Admin:           defaultAdmin(),
		Limits:          DefaultLimits(),
	}
}
