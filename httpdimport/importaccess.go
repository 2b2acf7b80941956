package httpdimport

import (
	"strings"
)

// Access rules of a <Location> (docs/config.md#jkbalancer-import). httpd
// guards the status worker's URL with mod_authz_core and mod_auth_basic;
// jkbalancer has worker.NAME.allow and worker.NAME.user_file for it, so a
// location mapped to a status worker carries `Require ip`, `Require local`
// and basic auth from an htpasswd file over into those keys. Any access
// rule it cannot carry is an error-level leftover: dropping it would open
// what httpd closed.

// accessDirectives are the directives about who may reach a location.
var accessDirectives = map[string]bool{
	"require": true, "authtype": true, "authname": true, "authuserfile": true, "authbasicprovider": true,
	"authgroupfile": true, "authbasicauthoritative": true, "authmerging": true, "satisfy": true,
	"order": true, "allow": true, "deny": true, "authdigestprovider": true, "authdigestdomain": true,
}

// accessBlocks are the sections that combine or limit access rules.
var accessBlocks = map[string]bool{"requireany": true, "requireall": true, "requirenone": true,
	"limit": true, "limitexcept": true}

// hAccess is what one <Location> says about access.
type hAccess struct {
	sect      *hSection
	dirs      []*hDirective // every access directive, for the reports
	allow     []string      // Require ip / Require local, as allow entries
	users     []string      // Require user
	validUser bool          // Require valid-user
	granted   bool          // Require all granted
	authType  string
	userFile  string
	provider  *hDirective // AuthBasicProvider other than file
	bad       []accessProblem
}

type accessProblem struct {
	d      *hDirective
	reason string
}

// isAccess reports whether d is an access rule inside a location.
func isAccess(d *hDirective) bool {
	if d.in("location") == nil && d.in("locationmatch") == nil {
		return false
	}
	if accessDirectives[d.name] {
		return true
	}
	for _, s := range d.sect {
		if accessBlocks[s.name] {
			return true
		}
	}
	return false
}

// access collects one access directive of a location.
func (im *importer) access(d *hDirective) {
	loc := d.in("location")
	if loc == nil || d.in("locationmatch") != nil {
		if d.name == "require" && strings.EqualFold(strings.Join(d.args, " "), "all granted") {
			im.take() // nothing to carry
			return
		}
		im.errorLeftover(d, "an access rule inside <LocationMatch>: jkbalancer restricts access only for a status worker's plain location; this restriction is NOT carried over")
		return
	}
	a := im.accessOf(loc)
	a.dirs = append(a.dirs, d)
	for _, s := range d.sect {
		if accessBlocks[s.name] {
			a.fail(d, "inside <"+s.name+">: jkbalancer cannot combine access rules")
			return
		}
	}
	switch d.name {
	case "require":
		a.require(d)
	case "authtype":
		if len(d.args) == 1 {
			a.authType = strings.ToLower(d.args[0])
		}
		if a.authType != "basic" {
			a.fail(d, "only AuthType Basic with an AuthUserFile is carried over (as the status worker's user_file)")
		}
	case "authuserfile":
		if len(d.args) == 1 {
			a.userFile = d.path(d.args[0])
		} else {
			a.fail(d, "AuthUserFile takes one file")
		}
	case "authbasicprovider":
		if len(d.args) != 1 || !strings.EqualFold(d.args[0], "file") {
			a.provider = d
			a.fail(d, "only the file provider (an htpasswd AuthUserFile) is carried over")
		}
	case "authname", "authbasicauthoritative", "authmerging":
		// the realm and merging have no effect on who gets in here
	default:
		a.fail(d, "httpd 2.2 access control and group files have no counterpart; write worker.NAME.allow / user_file by hand")
	}
}

func (a *hAccess) fail(d *hDirective, reason string) {
	a.bad = append(a.bad, accessProblem{d, reason})
}

// require reads one Require line (mod_authz_core, mod_authz_host,
// mod_authz_user).
func (a *hAccess) require(d *hDirective) {
	if len(d.args) == 0 {
		a.fail(d, "Require without a provider; httpd refuses it")
		return
	}
	kind, rest := strings.ToLower(d.args[0]), d.args[1:]
	switch {
	case kind == "ip" && len(rest) > 0:
		for _, s := range rest {
			e, ok := requireIP(s)
			if !ok {
				a.fail(d, s+" is not an address, partial address or network")
				return
			}
			a.allow = append(a.allow, e)
		}
	case kind == "local" && len(rest) == 0:
		a.allow = append(a.allow, "127.0.0.0/8", "::1")
	case kind == "valid-user" && len(rest) == 0:
		a.validUser = true
	case kind == "user" && len(rest) > 0:
		a.users = append(a.users, rest...)
	case kind == "all" && len(rest) == 1 && strings.EqualFold(rest[0], "granted"):
		a.granted = true
	default:
		a.fail(d, "jkbalancer carries only Require ip, local, valid-user, user and all granted")
	}
}
