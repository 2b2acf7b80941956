//go:build linux

package netpath

import (
	"net"
	"syscall"
	"unsafe"
)

// Check reads TCP_INFO of nc in one getsockopt and classifies it. It
// never blocks. It is meant for the slow path (a reply that is late), not
// for every request.
func Check(nc net.Conn) State {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return Unknown
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return Unknown
	}
	var info syscall.TCPInfo
	var errno syscall.Errno
	err = rc.Control(func(fd uintptr) {
		n := uint32(unsafe.Sizeof(info))
		_, _, errno = syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
			uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&n)), 0)
	})
	if err != nil || errno != 0 {
		return Unknown
	}
	return classify(info.Unacked, info.Retransmits, info.Probes)
}
