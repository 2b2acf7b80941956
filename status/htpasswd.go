package status

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"log/slog"
	"os"
	"strconv"
	"strings"
)

// Users is an htpasswd file: "name:hash" lines. The hash formats
// understood are SHA-256 and SHA-512 crypt ($5$, $6$: htpasswd -2 / -5),
// Apache's MD5 ($apr1$: htpasswd -m, its default) and {SHA} (htpasswd
// -s). Plain-text passwords (htpasswd -p) and DES crypt are refused, and
// so is bcrypt ($2y$: htpasswd -B), which the standard library cannot
// check: such a line is skipped with a warning when the file is loaded.
type Users struct {
	hashes map[string]string
}

// LoadUsers reads an htpasswd file. Blank lines and lines starting with
// '#' are skipped; a line in a format that cannot be checked is skipped
// with a warning naming its line.
func LoadUsers(path string, log *slog.Logger) (*Users, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	u := &Users{hashes: make(map[string]string)}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, h, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			log.Warn("user_file: line is not name:hash; skipped", "file", path, "line", n)
			continue
		}
		if why := unsupportedHash(h); why != "" {
			log.Warn("user_file: this user cannot log in: "+why, "file", path, "line", n, "user", name)
			continue
		}
		u.hashes[name] = h
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return u, nil
}

// unsupportedHash says why a hash cannot be checked, or "".
func unsupportedHash(h string) string {
	switch {
	case strings.HasPrefix(h, "$5$"), strings.HasPrefix(h, "$6$"), strings.HasPrefix(h, "$apr1$"),
		strings.HasPrefix(h, "{SHA}"):
		return ""
	case strings.HasPrefix(h, "$2"):
		return "bcrypt hashes (htpasswd -B) are not supported; create the entry with htpasswd -5 (SHA-512) instead"
	}
	return "the password is stored in plain text or an unsupported hash; create the entry with htpasswd -5 (SHA-512)"
}

// dummyHash is checked for unknown users so that a wrong name costs as
// much time as a wrong password.
const dummyHash = "$6$jkbalancerdummy$"

// Check reports whether password is the password of user.
func (u *Users) Check(user, password string) bool {
	h, ok := u.hashes[user]
	if !ok {
		verify(dummyHash, password)
		return false
	}
	return verify(h, password)
}

// verify checks password against one stored hash in constant time.
func verify(stored, password string) bool {
	var got string
	switch {
	case strings.HasPrefix(stored, "$5$"):
		got = shaCrypt(sha256.New, "$5$", stored, password)
	case strings.HasPrefix(stored, "$6$"):
		got = shaCrypt(sha512.New, "$6$", stored, password)
	case strings.HasPrefix(stored, "$apr1$"):
		got = apr1(stored, password)
	case strings.HasPrefix(stored, "{SHA}"):
		sum := sha1.Sum([]byte(password))
		got = "{SHA}" + base64.StdEncoding.EncodeToString(sum[:])
	default:
		return false
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(stored)) == 1
}

// crypt64 is the alphabet of crypt(3)'s base 64.
const crypt64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// put64 appends n characters encoding the 24-bit value b2:b1:b0, low bits
// first (glibc b64_from_24bit).
func put64(out []byte, b2, b1, b0 byte, n int) []byte {
	w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
	for ; n > 0; n-- {
		out = append(out, crypt64[w&0x3f])
		w >>= 6
	}
	return out
}

// SHA-crypt (Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512",
// the $5$/$6$ of glibc and htpasswd -2/-5).
const (
	shaRoundsDefault = 5000
	shaRoundsMin     = 1000
	shaRoundsMax     = 999999999
	shaSaltMax       = 16
)

// The byte order in which each digest is encoded.
var (
	sha256Order = [][3]int{{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14},
		{15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29}}
	sha512Order = [][3]int{{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4},
		{47, 5, 26}, {6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10},
		{53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35}, {15, 36, 57}, {37, 58, 16},
		{59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41}}
)

// shaCrypt recomputes the hash stored ("$6$[rounds=N$]salt$...") for
// password, returning the complete string ("" when stored is malformed).
func shaCrypt(newHash func() hash.Hash, magic, stored, password string) string {
	rest := stored[len(magic):]
	rounds, custom := shaRoundsDefault, false
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		num, after, found := strings.Cut(r, "$")
		n, err := strconv.Atoi(num)
		if !found || err != nil {
			return ""
		}
		rounds, custom, rest = min(max(n, shaRoundsMin), shaRoundsMax), true, after
	}
	salt, _, _ := strings.Cut(rest, "$")
	if len(salt) > shaSaltMax {
		salt = salt[:shaSaltMax]
	}
	sum := shaCryptSum(newHash, []byte(password), []byte(salt), rounds)
	out := []byte(magic)
	if custom {
		out = append(out, "rounds="+strconv.Itoa(rounds)+"$"...)
	}
	out = append(append(out, salt...), '$')
	if len(sum) == 32 {
		for _, g := range sha256Order {
			out = put64(out, sum[g[0]], sum[g[1]], sum[g[2]], 4)
		}
		return string(put64(out, 0, sum[31], sum[30], 3))
	}
	for _, g := range sha512Order {
		out = put64(out, sum[g[0]], sum[g[1]], sum[g[2]], 4)
	}
	return string(put64(out, 0, 0, sum[63], 2))
}

// shaCryptSum is the digest computation of the SHA-crypt specification.
func shaCryptSum(newHash func() hash.Hash, p, s []byte, rounds int) []byte {
	h := newHash()
	h.Write(p)
	h.Write(s)
	h.Write(p)
	b := h.Sum(nil)
	size := len(b)

	h.Reset()
	h.Write(p)
	h.Write(s)
	n := len(p)
	for ; n > size; n -= size {
		h.Write(b)
	}
	h.Write(b[:n])
	for n = len(p); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write(b)
		} else {
			h.Write(p)
		}
	}
	a := h.Sum(nil)

	h.Reset()
	for range p {
		h.Write(p)
	}
	pSeq := repeatTo(h.Sum(nil), len(p))
	h.Reset()
	for i := 0; i < 16+int(a[0]); i++ {
		h.Write(s)
	}
	sSeq := repeatTo(h.Sum(nil), len(s))

	return cryptRounds(h, a, pSeq, sSeq, rounds)
}

// cryptRounds is the loop MD5-crypt introduced and SHA-crypt kept: each
// round hashes the previous digest with the password and salt in an
// order set by the round number.
func cryptRounds(h hash.Hash, sum, p, s []byte, rounds int) []byte {
	for i := 0; i < rounds; i++ {
		h.Reset()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(sum)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(sum)
		} else {
			h.Write(p)
		}
		sum = h.Sum(sum[:0])
	}
	return sum
}

// repeatTo repeats d until it is n bytes long.
func repeatTo(d []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, d[:min(len(d), n-len(out))]...)
	}
	return out
}

// apr1 recomputes Apache's MD5 hash ("$apr1$salt$...", at most 8 salt
// characters) for password.
func apr1(stored, password string) string {
	const magic = "$apr1$"
	salt, _, _ := strings.Cut(stored[len(magic):], "$")
	if len(salt) > 8 {
		salt = salt[:8]
	}
	p, s := []byte(password), []byte(salt)
	alt := md5.Sum(append(append(append([]byte{}, p...), s...), p...))
	h := md5.New()
	h.Write(p)
	h.Write([]byte(magic))
	h.Write(s)
	for n := len(p); n > 0; n -= 16 {
		h.Write(alt[:min(n, 16)])
	}
	for n := len(p); n != 0; n >>= 1 {
		if n&1 != 0 {
			h.Write([]byte{0})
		} else {
			h.Write(p[:1])
		}
	}
	sum := cryptRounds(h, h.Sum(nil), p, s, 1000)
	out := []byte(magic + salt + "$")
	for _, g := range [][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		out = put64(out, sum[g[0]], sum[g[1]], sum[g[2]], 4)
	}
	return string(put64(out, 0, 0, sum[11], 2))
}

// errNoAuth is why a login failed, for the log.
var errNoAuth = fmt.Errorf("no valid basic-auth login")
