package headless

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Call sends method with params (nil for none) to the browser, or to the
// page of session when not "", and decodes the result into out (unless
// nil). It returns when the answer arrives, ctx ends or the browser goes.
func (b *Browser) Call(ctx context.Context, session, method string, params, out any) error {
	m := message{Method: method, SessionID: session}
	if params != nil {
		p, err := json.Marshal(params)
		if err != nil {
			return fmt.Errorf("headless: %s params: %w", method, err)
		}
		m.Params = p
	}
	ch := make(chan message, 1)
	b.mu.Lock()
	select {
	case <-b.done:
		b.mu.Unlock()
		return b.closedErr()
	default:
	}
	b.next++
	m.ID = b.next
	b.wait[m.ID] = ch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.wait, m.ID)
		b.mu.Unlock()
	}()
	frame, err := json.Marshal(m)
	if err != nil {
		return err
	}
	b.wmu.Lock()
	_, err = b.w.Write(append(frame, 0))
	b.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("headless: %s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("%s: %w", method, r.Error)
		}
		if out != nil {
			if err := json.Unmarshal(r.Result, out); err != nil {
				return fmt.Errorf("headless: %s result: %w", method, err)
			}
		}
		return nil
	case <-b.done:
		return fmt.Errorf("%s: %w", method, b.closedErr())
	case <-ctx.Done():
		return fmt.Errorf("headless: %s: %w", method, ctx.Err())
	}
}

func (b *Browser) closedErr() error {
	b.mu.Lock()
	err := b.err
	b.mu.Unlock()
	if msg := strings.TrimSpace(b.errs.String()); msg != "" {
		return fmt.Errorf("%w: %v; the browser's stderr ends:\n%s", ErrClosed, err, msg)
	}
	return fmt.Errorf("%w: %v", ErrClosed, err)
}

// Sub receives the params of the events named method of one session.
type Sub struct {
	b       *Browser
	method  string
	session string
	c       chan json.RawMessage
}

// Subscribe starts collecting events; subscribe before the action that
// causes them. Up to 16 unread events are kept, later ones dropped.
func (b *Browser) Subscribe(session, method string) *Sub {
	s := &Sub{b: b, method: method, session: session, c: make(chan json.RawMessage, 16)}
	b.mu.Lock()
	b.subs[s] = true
	b.mu.Unlock()
	return s
}

// Next waits for the next event.
func (s *Sub) Next(ctx context.Context) (json.RawMessage, error) {
	select {
	case p := <-s.c:
		return p, nil
	case <-s.b.done:
		return nil, fmt.Errorf("waiting for %s: %w", s.method, s.b.closedErr())
	case <-ctx.Done():
		return nil, fmt.Errorf("headless: waiting for %s: %w", s.method, ctx.Err())
	}
}

// Stop ends the subscription.
func (s *Sub) Stop() {
	s.b.mu.Lock()
	delete(s.b.subs, s)
	s.b.mu.Unlock()
}

// Page is a browser tab attached in flat mode (its calls carry its
// session id).
type Page struct {
	B       *Browser
	Session string
}

// NewPage opens a blank tab and enables its page events.
func (b *Browser) NewPage(ctx context.Context) (*Page, error) {
	var t struct {
		TargetID string `json:"targetId"`
	}
	if err := b.Call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &t); err != nil {
		return nil, err
	}
	var a struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.Call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true}, &a); err != nil {
		return nil, err
	}
	p := &Page{B: b, Session: a.SessionID}
	return p, b.Call(ctx, p.Session, "Page.enable", nil, nil)
}

// Navigate loads url and waits for its load event.
func (p *Page) Navigate(ctx context.Context, url string) error {
	return p.waitLoad(ctx, func() error {
		var r struct {
			ErrorText string `json:"errorText"`
		}
		if err := p.B.Call(ctx, p.Session, "Page.navigate", map[string]any{"url": url}, &r); err != nil {
			return err
		}
		if r.ErrorText != "" {
			return fmt.Errorf("headless: navigating to %s: %s", url, r.ErrorText)
		}
		return nil
	})
}

// EvalAndWait evaluates expr (a click on a link or a submit button) and
// waits for the page it leads to to load.
func (p *Page) EvalAndWait(ctx context.Context, expr string) error {
	return p.waitLoad(ctx, func() error { return p.Eval(ctx, expr, nil) })
}

func (p *Page) waitLoad(ctx context.Context, act func() error) error {
	s := p.B.Subscribe(p.Session, "Page.loadEventFired")
	defer s.Stop()
	if err := act(); err != nil {
		return err
	}
	_, err := s.Next(ctx)
	return err
}

// Eval evaluates the JavaScript expression expr in the page and decodes
// its value (JSON-serializable) into out, unless nil. A thrown exception
// is an error.
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	args := map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}
	if err := p.B.Call(ctx, p.Session, "Runtime.evaluate", args, &r); err != nil {
		return err
	}
	if e := r.Exception; e != nil {
		return fmt.Errorf("headless: %q threw: %s %s", expr, e.Text, e.Exception.Description)
	}
	if out == nil {
		return nil
	}
	if len(r.Result.Value) == 0 {
		return errors.New("headless: " + expr + " has no value")
	}
	return json.Unmarshal(r.Result.Value, out)
}

// Screenshot returns a PNG of the whole page, at least width CSS pixels
// wide (wider when the page is, up to 2400) and as high as the page (up
// to 4000).
func (p *Page) Screenshot(ctx context.Context, width int) ([]byte, error) {
	metrics := map[string]any{"width": width, "height": 600, "deviceScaleFactor": 1, "mobile": false}
	if err := p.B.Call(ctx, p.Session, "Emulation.setDeviceMetricsOverride", metrics, nil); err != nil {
		return nil, err
	}
	var size [2]float64
	if err := p.Eval(ctx, "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]", &size); err != nil {
		return nil, err
	}
	metrics["width"] = int(math.Min(math.Max(size[0], float64(width)), 2400))
	metrics["height"] = int(math.Min(math.Max(size[1], 100), 4000))
	if err := p.B.Call(ctx, p.Session, "Emulation.setDeviceMetricsOverride", metrics, nil); err != nil {
		return nil, err
	}
	var r struct {
		Data string `json:"data"`
	}
	if err := p.B.Call(ctx, p.Session, "Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}
