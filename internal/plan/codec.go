package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Encode writes the plan as its versioned JSON document (docs/plan-json.md),
// indented, with a trailing newline. The same plan always gives the same
// bytes: changes are sorted and maps are written in key order.
func Encode(w io.Writer, p *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	cp := *p // lists are written as [], never null
	cp.Context.SpecPaths = nonNil(cp.Context.SpecPaths)
	cp.Refusals = nonNil(cp.Refusals)
	cp.Changes = nonNil(cp.Changes)
	cp.Extras = nonNil(cp.Extras)
	cp.Warnings = nonNil(cp.Warnings)
	return enc.Encode(&cp)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Decode reads a saved plan, refusing documents of another format version.
func Decode(r io.Reader) (*Plan, error) {
	const limit = 256 << 20
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	switch {
	case err != nil:
		return nil, err
	case len(data) > limit:
		return nil, fmt.Errorf("larger than %d MiB: not a plan this reposync wrote", limit>>20)
	}
	var head struct {
		FormatVersion *int `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("not a reposync plan (invalid JSON: %w)", err)
	}
	if head.FormatVersion == nil {
		return nil, fmt.Errorf("not a reposync plan (no format_version)")
	}
	if *head.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("format_version %d is not supported by this reposync (it reads %d)", *head.FormatVersion, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := p.Context.Scope.Compile(); err != nil {
		return nil, fmt.Errorf("its scope: %w", err)
	}
	return &p, nil
}

// UnmarshalJSON decodes a change, choosing the Before/After types by Kind.
func (c *Change) UnmarshalJSON(data []byte) error {
	type plain Change
	var raw struct {
		plain
		Before json.RawMessage `json:"before"`
		After  json.RawMessage `json:"after"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*c = Change(raw.plain)
	if want, ok := kindOf(c.Address); c.Address != (Address{}) && (!ok || want != c.Kind) {
		return fmt.Errorf("change %s: kind %q does not fit the address (want %q)", c.Address, c.Kind, want)
	}
	var err error
	if c.Before, err = decodeValue(c.Kind, raw.Before); err != nil {
		return fmt.Errorf("change %s: before: %w", c.Address, err)
	}
	if c.After, err = decodeValue(c.Kind, raw.After); err != nil {
		return fmt.Errorf("change %s: after: %w", c.Address, err)
	}
	return nil
}

func decodeValue(k Kind, raw json.RawMessage) (Value, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var v Value
	switch k {
	case KindMember:
		v = &MemberValue{}
	case KindPushRule:
		v = &PushRuleValue{}
	case KindGroup:
		v = &GroupValue{}
	case KindMemberGroup, KindGroupMemberGroup:
		v = &MemberGroupValue{}
	case KindGitAuth:
		v = &GitAuthValue{}
	default:
		return nil, fmt.Errorf("unknown kind %q", k)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, err
	}
	return v, nil
}
