package worker

import (
	"net/http"
	"strings"
)

// mergeVary folds every Vary field of h into one and drops repeated
// tokens (compared without case), keeping the first spelling and order,
// joined by a bare comma: httpd's header filter does this to every
// response it sends (fix_vary, "some clients choke violently on multiple
// Vary fields"), so a mod_jk or mod_proxy_http member's repeated Vary
// reaches the client as one field. Fields with no token at all are left
// alone, as httpd leaves them. It allocates only when there is something
// to merge.
func mergeVary(h http.Header) {
	vs := h["Vary"]
	if len(vs) == 0 || len(vs) == 1 && !strings.ContainsAny(vs[0], ", \t") {
		return
	}
	var toks []string
	for _, v := range vs {
		for _, t := range strings.FieldsFunc(v, varySep) {
			if !containsFold(toks, t) {
				toks = append(toks, t)
			}
		}
	}
	if len(toks) > 0 {
		h["Vary"] = []string{strings.Join(toks, ",")}
	}
}

// varySep is what uniq_field_values splits a Vary value on: commas and
// white space (apr_isspace).
func varySep(r rune) bool {
	return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

func containsFold(list []string, s string) bool {
	for _, t := range list {
		if strings.EqualFold(t, s) {
			return true
		}
	}
	return false
}
