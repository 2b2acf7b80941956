package statusclient

import (
	"context"
	"net/url"
)

// Activation is a member's activation as cmd=update's vwa takes it
// (jk_lb_worker.c jk_lb_get_activation_code: 0 or a, 1 or d, 2 or s).
type Activation string

const (
	Active   Activation = "0"
	Disabled Activation = "1"
	Stopped  Activation = "2"
)

// Shown is how the prop output spells the activation.
func (a Activation) Shown() string {
	switch a {
	case Active:
		return "ACT"
	case Disabled:
		return "DIS"
	}
	return "STP"
}

// SetActivation sets member's activation in lb on one instance. It first
// reads the member's edit form: a status worker that puts a CSRF token
// there (jkbalancer) gets the change by POST with that token, one that
// does not (mod_jk) by mod_jk's GET cmd=update. The answer must be the
// status worker's OK result.
func (c *Client) SetActivation(ctx context.Context, t Target, lb, member string, a Activation) error {
	page, err := c.do(ctx, t, url.Values{"cmd": {"edit"}, "w": {lb}, "sw": {member}}, nil)
	if err != nil {
		return err
	}
	q := url.Values{"cmd": {"update"}, "mime": {"prop"}, "w": {lb}, "sw": {member}, "vwa": {string(a)}}
	var body string
	if tok := formToken(page, lb, member); tok != "" {
		q.Set("token", tok)
		body, err = c.do(ctx, t, nil, q)
	} else {
		body, err = c.do(ctx, t, q, nil)
	}
	if err != nil {
		return err
	}
	return checkResult(t, body)
}

// Member reads member of lb on one instance (cmd=show&mime=prop).
func (c *Client) Member(ctx context.Context, t Target, lb, member string) (Member, error) {
	body, err := c.do(ctx, t, url.Values{"cmd": {"show"}, "mime": {"prop"}, "w": {lb}}, nil)
	if err != nil {
		return Member{}, err
	}
	if err := checkResult(t, body); err != nil {
		return Member{}, err
	}
	m, ok := parseMember(body, lb, member)
	if !ok {
		return Member{}, &Error{Target: t, Kind: Garbled, Msg: "lb " + lb + " shows no member " + member + " with activation, busy and elected"}
	}
	return m, nil
}
