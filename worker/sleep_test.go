package worker

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSleepContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	if err := SleepContext(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if err := SleepContext(ctx, time.Microsecond); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := SleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
