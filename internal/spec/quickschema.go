package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/reposync/reposync/schema"
)

// The quick check answers one question — does this document satisfy the
// schema? — straight from the YAML node tree, without building the JSON
// value the validator library needs and without the library's bookkeeping
// for error reports. On the 10 000-repository benchmark the library was a
// third of the load time and most of its garbage; almost every document is
// valid, so the library now runs only when the quick check says no, to
// produce the messages (see validateSchema).
//
// It interprets the embedded schema itself, for exactly the keywords that
// schema uses. It must never accept what the library rejects, so it is
// conservative: a keyword it does not know makes it refuse to compile (every
// document then goes to the library; TestQuickSchemaCompiles catches that),
// and an instance it is not sure about (such as a list of mappings that must
// be unique) is "no", which only costs the library's slower answer.
// TestQuickSchemaAgreesWithLibrary and FuzzQuickSchema compare the two.

// quickSchema is one compiled (sub)schema.
type quickSchema struct {
	always     *bool // a boolean schema
	types      []string
	constant   any // json.Number or string
	hasConst   bool
	enum       map[string]bool // string enums only
	minimum    *big.Rat
	maximum    *big.Rat
	minLength  int // -1: none
	maxLength  int
	pattern    *regexp.Regexp
	minItems   int
	unique     bool
	items      *quickSchema
	minProps   int
	required   []string
	properties map[string]*quickSchema
	addlFalse  bool
	addl       *quickSchema
	propNames  *quickSchema
	ref        *quickSchema
	anyOf      []*quickSchema
}

// annotations are keywords that do not affect validation.
var annotations = map[string]bool{
	"$schema": true, "$id": true, "$defs": true, "$comment": true, "title": true, "description": true,
	"examples": true, "default": true, "deprecated": true, "readOnly": true, "writeOnly": true,
}

var (
	quickOnce sync.Once
	quick     *quickSchema
	quickErr  error
)

// quickValidator compiles the embedded schema for the quick check once, or
// returns an error naming what it cannot handle.
func quickValidator() (*quickSchema, error) {
	quickOnce.Do(func() {
		dec := json.NewDecoder(bytes.NewReader(schema.JSON))
		dec.UseNumber()
		var doc map[string]any
		if quickErr = dec.Decode(&doc); quickErr != nil {
			return
		}
		c := &quickCompiler{root: doc, refs: map[string]*quickSchema{}}
		quick, quickErr = c.compile(doc, "")
	})
	return quick, quickErr
}

type quickCompiler struct {
	root map[string]any
	refs map[string]*quickSchema // by JSON pointer, so recursive refs terminate
}

func (c *quickCompiler) compile(v any, ptr string) (*quickSchema, error) {
	if b, ok := v.(bool); ok {
		return &quickSchema{always: &b, minLength: -1, maxLength: -1}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a schema must be an object or a boolean", ptr)
	}
	s := &quickSchema{minLength: -1, maxLength: -1}
	sub := func(key string, v any) (*quickSchema, error) { return c.compile(v, ptr+"/"+key) }
	num := func(key string, v any) (*big.Rat, error) {
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%s/%s: not a number", ptr, key)
		}
		r, ok := new(big.Rat).SetString(string(n))
		if !ok {
			return nil, fmt.Errorf("%s/%s: not a number", ptr, key)
		}
		return r, nil
	}
	count := func(key string, v any) (int, error) {
		r, err := num(key, v)
		if err != nil || !r.IsInt() || !r.Num().IsInt64() {
			return 0, fmt.Errorf("%s/%s: not a whole number", ptr, key)
		}
		return int(r.Num().Int64()), nil
	}
	var err error
	for key, val := range m {
		switch {
		case annotations[key]:
		case key == "type":
			switch t := val.(type) {
			case string:
				s.types = []string{t}
			case []any:
				for _, x := range t {
					name, ok := x.(string)
					if !ok {
						return nil, fmt.Errorf("%s/type: not a string", ptr)
					}
					s.types = append(s.types, name)
				}
			default:
				return nil, fmt.Errorf("%s/type: not a string or a list", ptr)
			}
		case key == "const":
			switch val.(type) {
			case json.Number, string:
				s.constant, s.hasConst = val, true
			default:
				return nil, fmt.Errorf("%s/const: only numbers and strings are supported", ptr)
			}
		case key == "enum":
			list, ok := val.([]any)
			if !ok {
				return nil, fmt.Errorf("%s/enum: not a list", ptr)
			}
			s.enum = map[string]bool{}
			for _, x := range list {
				str, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("%s/enum: only strings are supported", ptr)
				}
				s.enum[str] = true
			}
		case key == "minimum":
			s.minimum, err = num(key, val)
		case key == "maximum":
			s.maximum, err = num(key, val)
		case key == "minLength":
			s.minLength, err = count(key, val)
		case key == "maxLength":
			s.maxLength, err = count(key, val)
		case key == "pattern":
			p, ok := val.(string)
			if !ok {
				return nil, fmt.Errorf("%s/pattern: not a string", ptr)
			}
			s.pattern, err = regexp.Compile(p) // as the library does
		case key == "minItems":
			s.minItems, err = count(key, val)
		case key == "uniqueItems":
			u, ok := val.(bool)
			if !ok {
				return nil, fmt.Errorf("%s/uniqueItems: not a boolean", ptr)
			}
			s.unique = u
		case key == "items":
			s.items, err = sub(key, val)
		case key == "minProperties":
			s.minProps, err = count(key, val)
		case key == "required":
			list, ok := val.([]any)
			if !ok {
				return nil, fmt.Errorf("%s/required: not a list", ptr)
			}
			for _, x := range list {
				name, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("%s/required: not a string", ptr)
				}
				s.required = append(s.required, name)
			}
		case key == "properties":
			props, ok := val.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s/properties: not an object", ptr)
			}
			s.properties = map[string]*quickSchema{}
			for name, p := range props {
				if s.properties[name], err = c.compile(p, ptr+"/properties/"+name); err != nil {
					return nil, err
				}
			}
		case key == "additionalProperties":
			if b, ok := val.(bool); ok && !b {
				s.addlFalse = true
			} else if !ok || !b {
				s.addl, err = sub(key, val)
			}
		case key == "propertyNames":
			s.propNames, err = sub(key, val)
		case key == "anyOf":
			list, ok := val.([]any)
			if !ok || len(list) == 0 {
				return nil, fmt.Errorf("%s/anyOf: not a non-empty list", ptr)
			}
			for i, x := range list {
				b, err := c.compile(x, fmt.Sprintf("%s/anyOf/%d", ptr, i))
				if err != nil {
					return nil, err
				}
				s.anyOf = append(s.anyOf, b)
			}
		case key == "$ref":
			ref, ok := val.(string)
			if !ok || !strings.HasPrefix(ref, "#/") {
				return nil, fmt.Errorf("%s/$ref: only references within the schema are supported", ptr)
			}
			s.ref, err = c.resolve(strings.TrimPrefix(ref, "#"))
		default:
			return nil, fmt.Errorf("%s: keyword %q is not supported by the quick check", ptr, key)
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (c *quickCompiler) resolve(ptr string) (*quickSchema, error) {
	if s, ok := c.refs[ptr]; ok {
		return s, nil
	}
	cur := valueAt(c.root, ptr)
	if cur == nil {
		return nil, fmt.Errorf("$ref %s: not found", ptr)
	}
	// Register before compiling, so a recursive reference finds it.
	s := &quickSchema{}
	c.refs[ptr] = s
	compiled, err := c.compile(cur, ptr)
	if err != nil {
		return nil, err
	}
	*s = *compiled
	return s, nil
}

// quickRun is the state of one document's quick check: pattern results,
// since the same names and paths recur throughout a spec and a regular
// expression with Unicode classes costs far more than a map lookup.
type quickRun struct {
	matched map[patternInput]bool
}

type patternInput struct {
	re *regexp.Regexp
	s  string
}

func (r *quickRun) match(re *regexp.Regexp, s string) bool {
	k := patternInput{re, s}
	if m, ok := r.matched[k]; ok {
		return m
	}
	if r.matched == nil {
		r.matched = map[patternInput]bool{}
	}
	m := re.MatchString(s)
	r.matched[k] = m
	return m
}

// validDocument reports whether a whole document satisfies the schema.
func (s *quickSchema) validDocument(root *yaml.Node) bool {
	return s.valid(&quickRun{}, root, 0)
}

// valid reports whether the value of n (as the converter would build it:
// aliases followed, scalars resolved by scalarValue) satisfies s. It assumes
// a tree without duplicate or merge keys (the caller runs it only when the
// parser found no structural problem). depth bounds the recursion, as the
// converter does.
func (s *quickSchema) valid(r *quickRun, n *yaml.Node, depth int) bool {
	if depth > 10_000 {
		return false
	}
	if n = deref(n); n == nil || n.Kind == yaml.AliasNode {
		return false
	}
	if n.Kind == yaml.ScalarNode {
		v, ok := scalarValue(n)
		return ok && s.validScalar(r, v)
	}
	if s.always != nil {
		return *s.always
	}
	if s.ref != nil && !s.ref.valid(r, n, depth+1) {
		return false
	}
	if s.anyOf != nil && !slices.ContainsFunc(s.anyOf, func(b *quickSchema) bool { return b.valid(r, n, depth+1) }) {
		return false
	}
	switch n.Kind {
	case yaml.MappingNode:
		return s.validObject(r, n, depth)
	case yaml.SequenceNode:
		return s.validArray(r, n, depth)
	}
	return false
}

func (s *quickSchema) typeIs(t string) bool {
	if len(s.types) == 0 {
		return true
	}
	for _, want := range s.types {
		if want == t {
			return true
		}
	}
	return false
}

func (s *quickSchema) validObject(r *quickRun, n *yaml.Node, depth int) bool {
	if !s.typeIs("object") || s.hasConst || s.enum != nil {
		return false
	}
	keys := len(n.Content) / 2
	if keys < s.minProps {
		return false
	}
	for _, name := range s.required {
		if mappingValue(n, name) == nil {
			return false
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			return false
		}
		if s.propNames != nil && !s.propNames.validScalar(r, k.Value) {
			return false
		}
		if p, ok := s.properties[k.Value]; ok {
			if !p.valid(r, v, depth+1) {
				return false
			}
			continue
		}
		if s.addlFalse {
			return false
		}
		if s.addl != nil && !s.addl.valid(r, v, depth+1) {
			return false
		}
	}
	return true
}

// mappingValue returns the value of key in a mapping node, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind == yaml.ScalarNode && k.Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func (s *quickSchema) validArray(r *quickRun, n *yaml.Node, depth int) bool {
	if !s.typeIs("array") || s.hasConst || s.enum != nil {
		return false
	}
	if len(n.Content) < s.minItems {
		return false
	}
	if s.unique && !uniqueStrings(n.Content) {
		return false
	}
	if s.items != nil {
		for _, it := range n.Content {
			if !s.items.valid(r, it, depth+1) {
				return false
			}
		}
	}
	return true
}

// uniqueStrings reports whether items are all different strings or
// mappings of scalars (the long forms of grants); anything else is left to
// the library. Mappings compare as the library compares objects: by their
// keys and values, numbers by value.
func uniqueStrings(items []*yaml.Node) bool {
	key := func(n *yaml.Node) (string, bool) {
		n = deref(n)
		switch {
		case n == nil:
			return "", false
		case n.Kind == yaml.ScalarNode:
			v, ok := str(n)
			return "s" + v, ok
		case n.Kind == yaml.MappingNode:
			return mappingKey(n)
		}
		return "", false
	}
	if len(items) <= 16 {
		keys := make([]string, 0, len(items))
		for _, a := range items {
			ka, ok := key(a)
			if !ok || slices.Contains(keys, ka) {
				return false
			}
			keys = append(keys, ka)
		}
		return true
	}
	seen := make(map[string]struct{}, len(items))
	for _, it := range items {
		v, ok := key(it)
		if !ok {
			return false
		}
		if _, dup := seen[v]; dup {
			return false
		}
		seen[v] = struct{}{}
	}
	return true
}

// mappingKey renders a mapping whose values are all scalars so that two
// mappings the library holds equal render the same; ok is false for any
// other mapping.
func mappingKey(n *yaml.Node) (string, bool) {
	m := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k == nil || v == nil || k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			return "", false
		}
		sv, ok := scalarValue(v)
		if !ok {
			return "", false
		}
		c, ok := canonical(sv)
		if !ok {
			return "", false
		}
		m[k.Value] = c
	}
	b, err := json.Marshal(m) // keys in order
	return "m" + string(b), err == nil
}

func (s *quickSchema) validScalar(r *quickRun, v any) bool {
	if s.always != nil {
		return *s.always
	}
	if s.ref != nil && !s.ref.validScalar(r, v) {
		return false
	}
	if s.anyOf != nil && !slices.ContainsFunc(s.anyOf, func(b *quickSchema) bool { return b.validScalar(r, v) }) {
		return false
	}
	switch x := v.(type) {
	case nil:
		return s.typeIs("null") && !s.hasConst && s.enum == nil
	case bool:
		return s.typeIs("boolean") && !s.hasConst && s.enum == nil
	case string:
		if !s.typeIs("string") {
			return false
		}
		if s.hasConst {
			if c, ok := s.constant.(string); !ok || c != x {
				return false
			}
		}
		if s.enum != nil && !s.enum[x] {
			return false
		}
		if s.minLength >= 0 || s.maxLength >= 0 {
			n := utf8.RuneCountInString(x)
			if s.minLength >= 0 && n < s.minLength || s.maxLength >= 0 && n > s.maxLength {
				return false
			}
		}
		return s.pattern == nil || r.match(s.pattern, x)
	case json.Number:
		r, ok := new(big.Rat).SetString(string(x))
		if !ok {
			return false
		}
		if !s.typeIs("number") && !(s.typeIs("integer") && r.IsInt()) {
			return false
		}
		if s.enum != nil {
			return false
		}
		if s.hasConst {
			c, ok := s.constant.(json.Number)
			if !ok {
				return false
			}
			cr, ok := new(big.Rat).SetString(string(c))
			if !ok || cr.Cmp(r) != 0 {
				return false
			}
		}
		return (s.minimum == nil || r.Cmp(s.minimum) >= 0) && (s.maximum == nil || r.Cmp(s.maximum) <= 0)
	}
	return false
}
