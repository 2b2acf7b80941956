package ajp

import (
	"bytes"
	"testing"
)

// turnConn answers each write with the next canned reply, the way a
// backend answers one request at a time.
type turnConn struct {
	scriptConn
	replies [][]byte
}

func (c *turnConn) Write(p []byte) (int, error) {
	if len(c.replies) > 0 {
		c.r, c.replies = bytes.NewReader(c.replies[0]), c.replies[1:]
	}
	return c.scriptConn.Write(p)
}

// TestIdleConnectionHoldsNoBuffers: an exchange or a ping that ends clean
// gives its buffers back, and the next one on the same connection works
// with a leased set again. Bytes left after END_RESPONSE keep the buffers
// (and the junk) so that the connection is not reused.
func TestIdleConnectionHoldsNoBuffers(t *testing.T) {
	reply := loadHex(t, "v3_reply.hex")
	tc := &turnConn{scriptConn: *newScriptConn(nil), replies: [][]byte{reply, loadHex(t, "v1_cpong.hex"), reply}}
	c := NewConn(tc, 0)
	if c.bufferSet != nil {
		t.Fatal("a new connection holds buffers")
	}
	for i := range 2 {
		var rec recorder
		res, err := c.Exchange(reqV2(), nil, &rec, nil)
		if err != nil || !res.Reuse || rec.body.String() != "Hello\n" {
			t.Fatalf("exchange %d: %+v %v body %q", i, res, err, rec.body.String())
		}
		if c.bufferSet != nil {
			t.Fatalf("exchange %d kept its buffers", i)
		}
		if i == 0 {
			if err := c.Ping(0); err != nil {
				t.Fatal(err)
			}
			if c.bufferSet != nil {
				t.Fatal("the ping kept its buffers")
			}
		}
	}

	junk := append(append([]byte{}, reply...), 'A', 'B', 0, 1)
	c = NewConn(newScriptConn(junk), 0)
	var rec recorder
	res, err := c.Exchange(reqV2(), nil, &rec, nil)
	if err != nil || res.Reuse || c.bufferSet == nil || c.Alive() {
		t.Fatalf("junk after END_RESPONSE: %+v %v, buffers kept %v", res, err, c.bufferSet != nil)
	}
}
