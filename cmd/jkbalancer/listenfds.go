package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// listenFDsStart is the first descriptor systemd passes (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// maxListenFDs bounds how many descriptors a (mistaken) LISTEN_FDS may
// make us look at.
const maxListenFDs = 256

// inheritedListeners returns the listening sockets systemd's socket
// activation passed to this process (docs/deploy.md#socket-activation):
// LISTEN_FDS descriptors from 3 on, when LISTEN_PID is this process.
// The variables are unset either way, so nothing the process starts
// inherits them. No variables: nil, nil. A descriptor that is not a
// listening socket is an error: systemd was told to pass something else.
func inheritedListeners() ([]net.Listener, error) {
	pidStr, fdsStr := os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS")
	names := os.Getenv("LISTEN_FDNAMES")
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	if fdsStr == "" {
		return nil, nil
	}
	if pid, err := strconv.Atoi(pidStr); err != nil || pid != os.Getpid() {
		return nil, nil // meant for another process (a parent's variables)
	}
	n, err := strconv.Atoi(fdsStr)
	if err != nil || n < 0 || n > maxListenFDs {
		return nil, fmt.Errorf("socket activation: LISTEN_FDS=%q: not a count from 0 to %d", fdsStr, maxListenFDs)
	}
	nameOf := strings.Split(names, ":")
	var out []net.Listener
	for i := 0; i < n; i++ {
		fd := listenFDsStart + i
		name := "fd " + strconv.Itoa(fd)
		if i < len(nameOf) && nameOf[i] != "" {
			name = nameOf[i] + " (" + name + ")"
		}
		f := os.NewFile(uintptr(fd), name)
		ln, err := net.FileListener(f) // a duplicate: f is closed below
		f.Close()
		if err != nil {
			for _, l := range out {
				l.Close()
			}
			return nil, fmt.Errorf("socket activation: %s is not a listening TCP socket: %w", name, err)
		}
		out = append(out, ln)
	}
	return out, nil
}
