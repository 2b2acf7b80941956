package worker

import (
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestPoolConfigCarriesSafeDefaults: the member's jkbalancer defaults
// reach the AJP pool, and mod_jk's explicit values switch them off.
func TestPoolConfigCarriesSafeDefaults(t *testing.T) {
	a := &config.Member{SocketConnectTimeout: config.SafeConnectTimeout, SocketKeepalive: true,
		KeepaliveIdle: config.SafeKeepaliveIdle, IdlePingAfter: config.SafeIdlePingAfter, IdlePingTimeout: config.SafeIdlePingTimeout}
	c := poolConfig(a, "127.0.0.1:1", Options{})
	if c.ConnectTimeout != 3*time.Second || !c.KeepAlive || c.KeepAliveIdle != 30*time.Second ||
		c.IdlePingAfter != 5*time.Second || c.IdlePingTimeout != time.Second || c.PrepostPing != 0 {
		t.Errorf("defaults lost: %+v", c)
	}
	c = poolConfig(&config.Member{}, "127.0.0.1:1", Options{})
	if c.ConnectTimeout != 0 || c.KeepAlive || c.KeepAliveIdle != 0 || c.IdlePingAfter != 0 {
		t.Errorf("mod_jk values changed: %+v", c)
	}
}
