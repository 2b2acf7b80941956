package status

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/worker"
)

// sampleAll samples every member instance of the fixture at t, as the
// server's maintenance loop does every worker.HistoryStep.
func (f *fixture) sampleAll(t time.Time) {
	for _, ms := range f.instances {
		for _, m := range ms {
			m.Metrics().Sample(t)
		}
	}
}

// TestSparklines: once the members have history, the lb shows a "Last 15
// minutes" block with an SVG per member and measure; t3's failed request
// shows in its errors line, drawn red. The golden tests pin the page
// without history (no block).
func TestSparklines(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.sampleAll(fixtureNow.Add(-2 * worker.HistoryStep))
	f.failT3()
	f.sampleAll(fixtureNow.Add(-worker.HistoryStep))
	f.sampleAll(fixtureNow)
	page := body(t, f.get("mime=html"))
	i := strings.Index(page, "<h4>Last 15 minutes</h4>")
	if i < 0 {
		t.Fatalf("no sparkline block:\n%s", page)
	}
	block := page[i:]
	block = block[:strings.Index(block, "</table>")]
	rows := regexp.MustCompile(`<tr><td class="n">(\w+)</td>`).FindAllStringSubmatch(block, -1)
	if len(rows) != 3 || rows[0][1] != "t1" || rows[1][1] != "t2" || rows[2][1] != "t3" {
		t.Fatalf("rows = %v in\n%s", rows, block)
	}
	if n := strings.Count(block, `<svg class="spark"`); n != 9 {
		t.Errorf("%d svgs, want 9", n)
	}
	t3 := block[strings.Index(block, `<td class="n">t3</td>`):]
	if !strings.Contains(t3, `stroke="#dc3545"`) || !regexp.MustCompile(`errors per sample over the last 15 minutes, max [1-9]`).MatchString(t3) {
		t.Errorf("t3's error is not drawn:\n%s", t3)
	}
	// two points: one step at the top (the failure) then one at the bottom,
	// the 10 s intervals ending 10 s and 0 s before now, at the right edge
	if !strings.Contains(t3, `<path d="M176.0 2.0H178.0L178.0 27.0H180.0"`) {
		t.Errorf("t3's error line is not the expected step:\n%s", t3)
	}
	t1 := block[strings.Index(block, `<td class="n">t1</td>`):strings.Index(block, `<td class="n">t2</td>`)]
	if strings.Contains(t1, "#dc3545") || !strings.Contains(t1, "0.0/s") {
		t.Errorf("t1 had no traffic:\n%s", t1)
	}
	if strings.Contains(page, "<script") {
		t.Error("the page has JavaScript")
	}
}

func TestSparklinesOnlyForTheShownMember(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.sampleAll(fixtureNow.Add(-worker.HistoryStep))
	f.sampleAll(fixtureNow)
	page := body(t, f.get("cmd=show&w=lb&sw=t2&mime=html"))
	i := strings.Index(page, "<h4>Last 15 minutes</h4>")
	if i < 0 {
		t.Fatalf("no sparkline block:\n%s", page)
	}
	block := page[i:]
	block = block[:strings.Index(block, "</table>")]
	if !strings.Contains(block, `<td class="n">t2</td>`) || strings.Contains(block, `<td class="n">t1</td>`) {
		t.Errorf("block of t2's page:\n%s", block)
	}
}

// Without a point (one sample is only a baseline) there is no block.
func TestNoSparklinesWithoutHistory(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.sampleAll(fixtureNow)
	if page := body(t, f.get("mime=html")); strings.Contains(page, "Last 15 minutes") {
		t.Errorf("block without history")
	}
}
