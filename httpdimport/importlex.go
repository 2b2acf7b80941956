package httpdimport

import "strings"

// The lexical layer of the httpd reader (importparse.go): physical lines
// joined into logical ones, and a logical line split into its words.

// logicalLine is one configuration line after joining continuations; n
// is the number of its first physical line.
type logicalLine struct {
	text string
	n    int
}

// logicalLines splits data into lines. A backslash right before the
// end of a line removes both and joins the next line, with nothing in
// between (ap_cfg_getline).
func logicalLines(data string) []logicalLine {
	var out []logicalLine
	var cur strings.Builder
	start := 0
	lines := strings.Split(data, "\n")
	if strings.HasSuffix(data, "\n") {
		lines = lines[:len(lines)-1]
	}
	for n, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if cur.Len() == 0 {
			start = n + 1
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(line[:len(line)-1])
			continue
		}
		cur.WriteString(line)
		out = append(out, logicalLine{cur.String(), start})
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, logicalLine{cur.String(), start})
	}
	return out
}

// splitArgs splits a line into words like ap_getword_conf: blanks
// separate, a word starting with " or ' runs to the matching quote, and
// a backslash before that quote keeps it.
func splitArgs(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		if q := s[i]; q == '"' || q == '\'' {
			var b strings.Builder
			i++
			for i < len(s) && s[i] != q {
				if s[i] == '\\' && i+1 < len(s) && s[i+1] == q {
					i++
				}
				b.WriteByte(s[i])
				i++
			}
			i++ // the closing quote
			out = append(out, b.String())
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		out = append(out, s[i:j])
		i = j
	}
	return out
}
