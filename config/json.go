package config

import (
	"bytes"
	"encoding/json"
)

// MarshalJSON prints a worker as one flat object, the way an operator
// would write it in workers.properties: "type", the attributes of its
// kind under their workers.properties names, then "mount". Secrets never
// appear; "secret" (and "secretkey") read "(set)" when one is configured.
func (w *Worker) MarshalJSON() ([]byte, error) {
	var attrs any
	var secret, secretKey string
	switch {
	case w.Member != nil:
		attrs, secret, secretKey = w.Member, w.Member.Secret, w.Member.SecretKey
	case w.LB != nil:
		attrs, secret = w.LB, w.LB.Secret
	case w.Status != nil:
		attrs = w.Status
	}
	var b bytes.Buffer
	b.WriteString(`{"type":`)
	if err := writeJSON(&b, w.Type); err != nil {
		return nil, err
	}
	if attrs != nil {
		inner, err := json.Marshal(attrs)
		if err != nil {
			return nil, err
		}
		if len(inner) > 2 { // strip the braces of a non-empty object
			b.WriteByte(',')
			b.Write(inner[1 : len(inner)-1])
		}
	}
	if w.Member != nil && w.Member.HTTP != nil {
		// An http member's own attributes follow the member attributes,
		// flat like the rest.
		inner, err := json.Marshal(w.Member.HTTP)
		if err != nil {
			return nil, err
		}
		b.WriteByte(',')
		b.Write(inner[1 : len(inner)-1])
	}
	if secret != "" {
		b.WriteString(`,"secret":"(set)"`)
	}
	if secretKey != "" {
		b.WriteString(`,"secretkey":"(set)"`)
	}
	b.WriteString(`,"mount":`)
	mount := w.Mount
	if mount == nil {
		mount = []string{} // always a list, so the output shape is stable
	}
	if err := writeJSON(&b, mount); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(data)
	return nil
}
