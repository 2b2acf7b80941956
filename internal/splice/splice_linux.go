package splice

import (
	"io"
	"runtime"
	"sync"
	"syscall"
)

const (
	spliceMove     = 0x1 // SPLICE_F_MOVE
	spliceNonblock = 0x2 // SPLICE_F_NONBLOCK: the pipe side never blocks
	// pipeSize is asked for each pipe (F_SETPIPE_SZ): what one splice
	// call can move, as the runtime's own splice asks (a smaller pipe only
	// costs more calls).
	pipeSize     = 1 << 20
	fSetPipeSize = 1031 // F_SETPIPE_SZ
)

// Available reports whether Copy can move bytes here.
func Available() bool { return true }

// Copy moves up to n bytes from src to dst and returns how many it read
// from src and wrote to dst (they differ only after a failed write).
// arm, when not nil, is called before each wait for src with what was
// read so far, as before each read of a copy through a buffer: the
// caller's read deadline then bounds each wait, not the whole transfer.
// armDst, when not nil, is called before bytes go to dst and again
// whenever dst took some and must be waited for: a write deadline it
// sets bounds each wait without progress. A src that ends before n
// bytes is a readErr of io.ErrUnexpectedEOF. A failure to read is
// readErr, to write writeErr; ErrUnsupported (as readErr) means nothing
// was moved and the caller should copy instead.
func Copy(dst, src syscall.RawConn, n int64, arm func(read int64), armDst func()) (read, written int64, readErr, writeErr error) {
	p := getPipe()
	if p == nil {
		return 0, 0, ErrUnsupported, nil
	}
	defer putPipe(p)
	p.armDst = armDst
	defer func() { p.armDst = nil }()
	for written < n {
		if arm != nil {
			arm(read)
		}
		in, err := drain(p, src, int(min(n-read, pipeSize)))
		if err == syscall.EINVAL && read == 0 {
			return 0, 0, ErrUnsupported, nil // the socket type: nothing was read
		}
		read += int64(in)
		if err != nil {
			return read, written, err, nil
		}
		if in == 0 {
			return read, written, io.ErrUnexpectedEOF, nil
		}
		if armDst != nil {
			armDst()
		}
		out, err := pump(p, dst, in)
		written += int64(out)
		if err != nil {
			return read, written, nil, err
		}
	}
	return read, written, nil, nil
}

// drain moves what src has, up to max bytes, into the empty pipe; 0
// bytes and no error is the end of src.
func drain(p *pipe, src syscall.RawConn, max int) (int, error) {
	p.max, p.n, p.err = max, 0, nil
	err := src.Read(p.drainFn)
	p.data += p.n
	if err == nil {
		err = p.err
	}
	return p.n, err
}

func (p *pipe) drainOnce(fd uintptr) bool {
	for {
		k, e := syscall.Splice(int(fd), nil, p.w, nil, p.max, spliceMove|spliceNonblock)
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // wait until src is readable (or its deadline)
		}
		p.n, p.err = int(k), e
		return true
	}
}

// pump moves the in bytes in the pipe to dst.
func pump(p *pipe, dst syscall.RawConn, in int) (int, error) {
	p.max, p.n, p.err = in, 0, nil
	err := dst.Write(p.pumpFn)
	p.data -= p.n
	if err == nil {
		err = p.err
	}
	return p.n, err
}

func (p *pipe) pumpOnce(fd uintptr) bool {
	armed := p.n
	for p.n < p.max {
		k, e := syscall.Splice(p.r, nil, int(fd), nil, p.max-p.n, spliceMove|spliceNonblock)
		if k > 0 {
			p.n += int(k)
			continue
		}
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if p.armDst != nil && p.n > armed {
				p.armDst() // it took some: a fresh bound for the next wait
			}
			return false // wait until dst takes more (or its deadline)
		case nil:
			e = io.ErrNoProgress // the pipe is ours: this does not happen
		}
		p.err = e
		return true
	}
	return true
}

// pipe is one pipe's two ends, what sits in it, and the state of the
// splice call in progress (the callbacks are made once per pipe, not
// per call).
type pipe struct {
	r, w    int
	data    int
	max, n  int   // the call's limit and what it moved
	err     error // the call's error
	armDst  func()
	drainFn func(uintptr) bool
	pumpFn  func(uintptr) bool
	cleanup runtime.Cleanup
}

// pipes keeps pipes between copies, as the runtime's splice does: two
// descriptors and three calls are not made per response. A pipe the pool
// drops is closed by its cleanup.
var pipes = sync.Pool{New: func() any {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		return nil
	}
	syscall.Syscall(syscall.SYS_FCNTL, uintptr(fds[0]), fSetPipeSize, pipeSize) // best effort
	p := &pipe{r: fds[0], w: fds[1]}
	p.drainFn, p.pumpFn = p.drainOnce, p.pumpOnce
	p.cleanup = runtime.AddCleanup(p, closePipe, fds)
	return p
}}

func getPipe() *pipe {
	p, _ := pipes.Get().(*pipe)
	return p
}

// putPipe keeps an empty pipe; one with bytes left in it (a failed write)
// is closed, the bytes with it.
func putPipe(p *pipe) {
	if p.data != 0 {
		p.cleanup.Stop()
		closePipe([2]int{p.r, p.w})
		return
	}
	pipes.Put(p)
}

func closePipe(fds [2]int) {
	syscall.Close(fds[0])
	syscall.Close(fds[1])
}
