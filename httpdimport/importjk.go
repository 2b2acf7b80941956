package httpdimport

import "strings"

// The mod_jk directives of the import: mounts per server, JkOptions,
// JkEnvVar, the log settings.

// mountFileDirective reads JkMountFile; mod_jk keeps one per server.
func (im *importer) mountFileDirective(d *hDirective) {
	if !im.arity(d, 1, 1) {
		return
	}
	f := d.path(d.args[0])
	if c := im.ctx(d); c.sect != nil {
		// The file's rules apply to this virtual host only; jkbalancer
		// has one table, so the file applies everywhere.
		if im.mountFile != "" && im.mountFile != f {
			im.leftover(d, "a second JkMountFile ("+im.mountFile+" is already used): jkbalancer reads one mount file; merge them")
			return
		}
		im.mountFile = f
		im.leftover(d, "applies to "+c.label()+" only in httpd; jkbalancer has one mount table, so its rules now apply on every listener")
		return
	}
	if im.mountFile != "" && im.mountFile != f {
		im.leftover(d, "a second JkMountFile ("+im.mountFile+" is already used): jkbalancer reads one mount file; merge them")
		return
	}
	im.mountFile = f
	im.take()
}

// mount reads JkMount/JkUnMount: PATTERN WORKER, or WORKER alone inside
// <Location PATTERN> (mod_jk jk_mount_context).
func (im *importer) mount(d *hDirective, prefix string) {
	loc := d.in("location")
	var pattern, worker string
	switch {
	case loc == nil && len(d.args) == 2:
		pattern, worker = d.args[0], d.args[1]
	case loc != nil && len(d.args) == 1:
		pattern, worker = loc.arg, d.args[0]
	default:
		im.leftover(d, "JkMount takes PATTERN WORKER, or WORKER alone inside <Location>; httpd refuses this line")
		return
	}
	if !strings.HasPrefix(pattern, "/") {
		im.leftover(d, "the pattern does not start with '/'; httpd refuses this line")
		return
	}
	c := im.ctx(d)
	c.rules = append(c.rules, hRule{text: prefix + pattern + "=" + worker, d: d})
	im.take()
}

func (im *importer) mountCopy(d *hDirective) {
	if !im.arity(d, 1, 1) {
		return
	}
	v := strings.ToLower(d.args[0])
	c := im.ctx(d)
	switch {
	case v == "all" && c.sect == nil, v == "on" && c.sect != nil, v == "off":
		c.mountCopy = v
		im.take()
	default:
		im.leftover(d, "JkMountCopy takes On/Off in a virtual host and All/Off in the main server")
	}
}

func (im *importer) jkOptions(d *hDirective) {
	if c := im.ctx(d); c.sect != nil {
		im.leftover(d, "JkOptions of "+c.label()+": jkbalancer's options apply to every listener; set them in options: if they should")
		return
	}
	im.options = append(im.options, d.args...)
	im.take()
}

func (im *importer) envVar(d *hDirective) {
	if !im.arity(d, 1, 2) || !im.mainOnly(d) {
		return
	}
	e := hEnv{name: d.args[0]}
	if len(d.args) == 2 {
		e.value, e.hasValue = d.args[1], true
	} else {
		// Without a default mod_jk sends the variable only when httpd's
		// environment has it; jkbalancer has no such environment.
		im.leftover(d, "no default value: mod_jk sends it only when a module such as mod_ssl or mod_setenvif sets it, and jkbalancer has no httpd environment; it is not sent")
		return
	}
	im.envVars = append(im.envVars, e)
	im.take()
}

func (im *importer) workerProperty(d *hDirective) {
	if !im.mainOnly(d) {
		return
	}
	im.workerProps = append(im.workerProps, strings.Join(d.args, " "))
	im.take()
}

func (im *importer) logLevelDirective(d *hDirective) {
	if !im.arity(d, 1, 1) || !im.mainOnly(d) {
		return
	}
	switch v := strings.ToLower(d.args[0]); v {
	case "trace", "debug", "info", "warn", "error":
		im.logLevel = v
	case "emerg":
		im.logLevel = "error"
	default:
		im.leftover(d, "unknown log level")
		return
	}
	im.take()
}

func (im *importer) requestLogFormat(d *hDirective) {
	if !im.arity(d, 1, 1) || !im.mainOnly(d) {
		return
	}
	im.requestFormat = d.args[0]
	im.take()
}
