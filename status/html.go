package status

import (
	"strconv"
)

// The HTML pages. They carry what mod_jk's pages carry (the same tables,
// columns and legend), laid out for a phone as well as a desktop: one
// small inline stylesheet, tables that scroll sideways inside their box,
// no external assets and no JavaScript. State changes are POST forms with
// a CSRF token (csrf.go).

type page struct {
	Title      string
	CSS        string // worker.NAME.css, linked after the built-in style
	ReadOnly   bool
	Refresh    int    // auto refresh seconds (list, show)
	RefreshURL string // the page itself, for the meta refresh
	Redirect   string // after a change: back to the page it came from
	Error      string
	OK         string
	Start      string

	Head     bool
	Software string
	JK       string
	Time     string
	Unix     int64

	Nav         []link
	RefreshForm bool   // offer "Start auto refresh"
	StopRefresh string // link that stops it
	Formats     []link
	FormHidden  []hidden // the current parameters, for the refresh form

	LBGroup  *group
	AJPGroup *group
	LBs      []htmlLB
	AJPs     []htmlAJP

	Forms []*form
	Dump  [][2]string

	Legend     bool
	LegendLink link
}

// group is the heading of the lb or the ajp workers.
type group struct {
	Title string
	Count int
	Hide  link // or Show, when hidden
	Shown bool
}

type htmlLB struct {
	V          lbView
	Single     bool
	Links      []link
	Reset      *actionForm
	Toggles    []link // Show ... links for hidden parts
	Conf       bool
	ConfHide   string
	Summary    bool
	SumHide    string
	Members    []htmlMember
	ShowMemb   bool
	MembHide   link
	AJPConf    bool
	AJPHide    string
	AllMembers *editAllSelect
	Spark      []sparkRow  // the last 15 minutes (spark.go)
	Doctor     []doctorRow // session-route problems (doctor.go)
	Maps       htmlMaps
}

type htmlMember struct {
	V        memberView
	Show     string // link, "" on the member's own page
	Edit     string
	Reset    *actionForm
	Recover  *actionForm
	Activate []*actionForm
	Acc      string
	Sess     string
	Wr, Rd   string
	LE       string
}

type htmlAJP struct {
	V       memberView
	Single  bool
	Links   []link
	Reset   *actionForm
	Conf    bool
	ConfTog link
	Acc     string
	Wr, Rd  string
	LE      string
	Maps    htmlMaps
}

type htmlMaps struct {
	Worker string
	Maps   []mapView
	Shown  bool
	Toggle link
}

// editAllSelect is the "Edit this attribute for all members" form (a GET
// to the edit page).
type editAllSelect struct {
	Action string
	Fields []hidden
	Attrs  []option
}

// rate is "n (r/sec)" like mod_jk, r = n per second since the last reset
// (-1 before the first second).
func rate(n int64, ago int) string {
	r := int64(-1)
	if ago > 0 {
		r = n / int64(ago)
	}
	return strconv.FormatInt(n, 10) + " (" + strconv.FormatInt(r, 10) + "/sec)"
}

// sizeRate is the same for byte counts, in apr_strfsize units.
func sizeRate(n int64, ago int) string {
	r := "-"
	if ago > 0 {
		r = strfsize(uint64(n / int64(ago)))
	}
	return strfsize(uint64(n)) + " (" + r + "/sec)"
}

// strfsize is APR's apr_strfsize, as mod_jk prints byte counts: "973 ",
// "1.0K", "12M".
func strfsize(size uint64) string {
	const ord = "KMGTPE"
	if size < 973 {
		return strconv.FormatUint(size, 10) + " "
	}
	o := 0
	for {
		remain := uint(size & 0x3ff)
		size >>= 10
		if size >= 973 {
			o++
			continue
		}
		siz := uint(size & 0xffff)
		if siz < 9 || siz == 9 && remain < 973 {
			if remain = (remain*5 + 256) / 512; remain >= 10 {
				siz, remain = siz+1, 0
			}
			return strconv.FormatUint(uint64(siz), 10) + "." + strconv.FormatUint(uint64(remain), 10) + string(ord[o])
		}
		if remain >= 512 {
			siz++
		}
		return strconv.FormatUint(uint64(siz), 10) + string(ord[o])
	}
}
