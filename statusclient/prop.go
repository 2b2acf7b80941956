package statusclient

import (
	"html"
	"regexp"
	"strconv"
	"strings"
)

// Member is what one instance's status worker says about a member.
type Member struct {
	Activation string // ACT, DIS, STP
	State      string // OK/IDLE, OK, ERR, ...
	Busy       int64  // requests in flight
	Requests   int64  // requests handled ("elected")
}

// result reads the result of a mime=prop answer: PREFIX.result.type and
// PREFIX.result.message (jk_status.c prints them last). ok is false when
// the answer has none.
func result(body string) (typ, msg string, ok bool) {
	for _, line := range strings.Split(body, "\n") {
		k, v, found := strings.Cut(strings.TrimRight(line, "\r"), "=")
		if !found {
			continue
		}
		switch {
		case strings.HasSuffix(k, ".result.type"):
			typ, ok = v, true
		case strings.HasSuffix(k, ".result.message"):
			msg = v
		}
	}
	return typ, msg, ok
}

// checkResult turns a prop answer's result into nil or an *Error.
func checkResult(t Target, body string) error {
	typ, msg, ok := result(body)
	switch {
	case !ok:
		return &Error{Target: t, Kind: Garbled, Msg: "no result line in the answer (is the URL a status worker? " + firstLine(body) + ")"}
	case typ != "OK":
		return &Error{Target: t, Kind: Refused, Msg: msg}
	}
	return nil
}

// parseMember finds member in lb in a cmd=show&mime=prop answer. In
// jk_status.c's prop output each member's keys follow a line
// PREFIX.LB.balance_workers=MEMBER and are named PREFIX.MEMBER.KEY.
func parseMember(body, lb, member string) (Member, bool) {
	var m Member
	in, found, fields := false, false, 0
	for _, line := range strings.Split(body, "\n") {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), "=")
		if !ok {
			continue
		}
		if strings.HasSuffix(k, ".balance_workers") {
			in = v == member && strings.HasSuffix(k, "."+lb+".balance_workers")
			found = found || in
			continue
		}
		if !in {
			continue
		}
		i := strings.LastIndex(k, "."+member+".")
		if i < 0 {
			continue
		}
		switch k[i+len(member)+2:] {
		case "activation":
			m.Activation, fields = v, fields|1
		case "state":
			m.State = v
		case "busy":
			m.Busy, fields = parseInt(v), fields|2
		case "elected":
			m.Requests, fields = parseInt(v), fields|4
		}
	}
	return m, found && fields == 7
}

func parseInt(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

var (
	formRe  = regexp.MustCompile(`(?is)<form[^>]*method="post"[^>]*>(.*?)</form>`)
	inputRe = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attrRe  = regexp.MustCompile(`(?is)\b(name|value)\s*=\s*"([^"]*)"`)
)

// formToken returns the CSRF token of the edit form that updates member
// of lb ("" when the page has none, as mod_jk's forms do not).
func formToken(page, lb, member string) string {
	for _, f := range formRe.FindAllStringSubmatch(page, 50) {
		vals := map[string]string{}
		for _, in := range inputRe.FindAllString(f[1], 200) {
			var name, value string
			for _, a := range attrRe.FindAllStringSubmatch(in, 4) {
				if strings.EqualFold(a[1], "name") {
					name = html.UnescapeString(a[2])
				} else {
					value = html.UnescapeString(a[2])
				}
			}
			if name != "" {
				vals[name] = value
			}
		}
		if vals["cmd"] == "update" && vals["w"] == lb && vals["sw"] == member && vals["token"] != "" {
			return vals["token"]
		}
	}
	return ""
}
