// Command jkbalancer is a drop-in replacement for httpd + mod_jk: it reads
// an existing workers.properties and uriworkermap.properties and balances
// HTTP traffic over AJP13 members like mod_jk 1.2.48.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	err := newRootCommand().Execute()
	var ee exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		os.Exit(ee.code)
	default:
		fmt.Fprintln(os.Stderr, "jkbalancer:", err)
		os.Exit(2)
	}
}

// exitError ends the program with code after its output was printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
