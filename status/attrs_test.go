package status

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/editable"
)

// modjkParams are the parameters jk_status.c's update command edits
// (commit_worker, commit_member), by scope: the compatibility contract the
// attribute table must cover. It is the test's own list on purpose: a row
// missing from the table fails here.
var modjkParams = []struct {
	scope  scope
	params string
}{
	{scopeLB, "vlr vlri vlt vlee vlx vls vlf vlm vll"},
	{scopeMember, "vwa vwf vwn vwr vwc vwd"},
	{scopeAJP, "vahst vaprt vacpt vapng vact vapt vart var vari vacpi varo vabl vamps"},
}

// TestAttributeTableIsTheSingleSource checks that one table row is all an
// attribute needs: its parameter is accepted by update, the value is
// applied to the running lb or member, saved in the state file under the
// row's name (and applied again after a restart), and shown, with its new
// value, in the edit form of its scope, and in the all-members form when
// the row says so.
func TestAttributeTableIsTheSingleSource(t *testing.T) {
	n := 0
	for _, sp := range modjkParams {
		for _, p := range strings.Fields(sp.params) {
			n++
			t.Run(p, func(t *testing.T) {
				a := attrByParam(p)
				if a == nil {
					t.Fatalf("the table has no row for %s", p)
				}
				if a.Scope != sp.scope {
					t.Fatalf("%s has scope %d, want %d", p, a.Scope, sp.scope)
				}
				checkRow(t, a)
			})
		}
	}
	if n != len(attrs) {
		t.Errorf("the table has %d rows, mod_jk edits %d attributes", len(attrs), n)
	}
}

func checkRow(t *testing.T, a *attr) {
	state := filepath.Join(t.TempDir(), "jk.state")
	f := newFixture(t, fixtureOpts{stateFile: state})
	cur := a.Format(f.running(a))
	raw := otherValue(a, f.running(a))
	want := f.running(a)
	a.Assign(want, raw)
	val := a.Format(want)
	if val == cur {
		t.Fatalf("test value %q is the current one", raw)
	}

	q := "cmd=update&w=lb&"
	if a.Scope != scopeLB {
		q += "sw=t1&"
	}
	if got := f.result(q + a.Param + "=" + url.QueryEscape(raw)); got != resultOK {
		t.Fatalf("update %s=%s: %s", a.Param, raw, got)
	}
	if got := a.Format(f.running(a)); got != val {
		t.Errorf("running value %q after the update, want %q", got, val)
	}

	if e := savedEntry(t, state, a); e.Value != val || e.Config != cur {
		t.Errorf("state file entry %+v, want value %q, config %q", e, val, cur)
	}
	g := newFixture(t, fixtureOpts{stateFile: state})
	if got := a.Format(g.running(a)); got != val {
		t.Errorf("after a restart %q, want %q", got, val)
	}

	edit := "cmd=edit&w=lb"
	if a.Scope != scopeLB {
		edit += "&sw=t1"
	}
	if html := body(t, f.get(edit)); !strings.Contains(html, formInput(a, val)) {
		t.Errorf("%s does not show %s:\n%s", edit, formInput(a, val), html)
	}
	list := body(t, f.get("mime=html", "Accept: text/html"))
	option := `<option value="` + a.Param + `">` + a.Label + `</option>`
	if strings.Contains(list, option) != a.Multi() {
		t.Errorf("all-members select: %s offered = %v, want %v", a.Param, !a.Multi(), a.Multi())
	}
}

// running returns a copy of the running attributes that hold a (member
// t1 for member and AJP attributes).
func (f *fixture) running(a *attr) any {
	switch a.Scope {
	case scopeLB:
		return liveLB(f.lb)
	case scopeMember:
		return liveMember(f.lb, "t1")
	}
	c := *f.instances["t1"][0].Config()
	return &c
}

// otherValue is an update value for a that differs from its value in c
// and is in range.
func otherValue(a *attr, c any) string {
	switch a.Kind {
	case editable.Bool:
		return editable.BoolText(a.Value(c) == 0)
	case editable.Str:
		if a.Address {
			return "backend.example" // fakeResolve knows it
		}
		return "x." + a.Param
	case editable.Activation, editable.Method, editable.Lock:
		return strconv.Itoa((a.Value(c) + 1) % len(a.Choices()))
	case editable.Packet:
		return strconv.Itoa(a.Value(c) + 1024)
	}
	if n := a.Value(c) + 1; n <= a.Max {
		return strconv.Itoa(n)
	}
	return strconv.Itoa(a.Min)
}

// formInput is the HTML of a's input in an edit form showing val.
func formInput(a *attr, val string) string {
	head := `<span>` + a.Label + `</span><span>`
	switch a.Kind {
	case editable.Bool:
		checked := ""
		if val == "True" {
			checked = " checked"
		}
		return head + `<input type="hidden" name="` + a.Param + `" value="0"><input type="checkbox" name="` +
			a.Param + `" value="1"` + checked + `>`
	case editable.Str:
		return head + `<input type="text" name="` + a.Param + `" value="` + val + `"`
	case editable.Activation, editable.Method, editable.Lock:
		c := &config.LB{}
		var m any = c
		if a.Scope != scopeLB {
			m = &config.Member{}
		}
		a.Assign(m, val)
		return `name="` + a.Param + `" value="` + strconv.Itoa(a.Value(m)) + `" checked>`
	}
	return head + `<input type="number" name="` + a.Param + `" value="` + val + `"`
}

// savedEntry reads a's entry for lb, member t1 or worker t1 from the
// state file.
func savedEntry(t *testing.T, path string, a *attr) entry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	lb := st.LBs["lb"]
	switch {
	case a.Scope == scopeAJP:
		return st.Workers["t1"][a.Name]
	case lb == nil:
		return entry{}
	case a.Scope == scopeLB:
		return lb.Settings[a.Name]
	}
	return lb.Members["t1"][a.Name]
}
