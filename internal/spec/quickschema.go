package spec

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"
)

// The quick check answers one question — does this document satisfy the
// schema? — straight from the YAML node tree, without the JSON value and
// the error bookkeeping of the validator library, which were a third of a
// 10 000-repository load and most of its garbage. Almost every document is
// valid, so the library runs only when the quick check says no, for the
// messages (see validateSchema).
//
// It interprets the schema as the library compiled it, for exactly the
// keywords the embedded schema uses, and must never accept what the library
// rejects: a keyword it does not interpret makes quickValidator fail
// (TestQuickSchemaCompiles), and an instance it is unsure of is "no", which
// only costs the library's slower answer. TestQuickSchemaAgreesWithLibrary
// and FuzzQuickSchema compare the two.

// quickValidator returns the schema as the library compiled it, once the
// quick check has made sure it interprets every keyword in it, or an error
// naming the first one it does not.
var quickValidator = sync.OnceValues(func() (*jsonschema.Schema, error) {
	sch, err := compiledSchema()
	if err != nil {
		return nil, err
	}
	return sch, quickSupports(schemaIndex())
})

// quickSupports returns an error naming a keyword of a schema in index
// that the quick check does not interpret. (A `const` or an `enum` of any
// kind is fine: the check says no to a value it cannot compare with them.)
func quickSupports(index map[string]*jsonschema.Schema) error {
	for _, ptr := range slices.Sorted(maps.Keys(index)) {
		s := index[ptr]
		for _, k := range []struct {
			keyword string
			used    bool
		}{
			{"not", s.Not != nil}, {"allOf", s.AllOf != nil}, {"oneOf", s.OneOf != nil}, {"if", s.If != nil},
			{"$recursiveRef", s.RecursiveRef != nil}, {"$dynamicRef", s.DynamicRef != nil}, {"format", s.Format != ""},
			{"exclusiveMinimum", s.ExclusiveMinimum != nil}, {"exclusiveMaximum", s.ExclusiveMaximum != nil}, {"multipleOf", s.MultipleOf != nil},
			{"maxProperties", s.MaxProperties >= 0}, {"patternProperties", s.PatternProperties != nil},
			{"dependencies", s.Dependencies != nil || s.DependentRequired != nil || s.DependentSchemas != nil},
			{"unevaluatedProperties", s.UnevaluatedProperties != nil}, {"unevaluatedItems", s.UnevaluatedItems != nil},
			{"maxItems", s.MaxItems >= 0}, {"items (a list)", s.Items != nil}, {"prefixItems", s.PrefixItems != nil},
			{"contains", s.Contains != nil}, {"contentEncoding", s.ContentEncoding != "" || s.ContentMediaType != ""},
			{"an extension", s.Extensions != nil},
		} {
			if k.used {
				return fmt.Errorf("%s: keyword %q is not supported by the quick check", s.Location, k.keyword)
			}
		}
	}
	return nil
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

// match is re.MatchString(s), remembered when r remembers results.
func (r *quickRun) match(re *regexp.Regexp, s string) bool {
	if r.matched == nil {
		return re.MatchString(s)
	}
	k := patternInput{re, s}
	if m, ok := r.matched[k]; ok {
		return m
	}
	m := re.MatchString(s)
	r.matched[k] = m
	return m
}

// validDocument reports whether a whole document satisfies the schema.
func validDocument(s *jsonschema.Schema, root *yaml.Node) bool {
	return (&quickRun{matched: map[patternInput]bool{}}).valid(s, root, 0)
}

// valid reports whether the value of n (as jsonValue builds it) satisfies
// s, on a tree the converter found clean: no duplicate or merge keys.
// depth bounds the recursion.
func (r *quickRun) valid(s *jsonschema.Schema, n *yaml.Node, depth int) bool {
	if depth > 10_000 {
		return false
	}
	if n = deref(n); n == nil || n.Kind == yaml.AliasNode {
		return false
	}
	if n.Kind == yaml.ScalarNode {
		v, ok := scalarValue(n)
		return ok && r.validScalar(s, v)
	}
	if s.Always != nil {
		return *s.Always
	}
	if s.Ref != nil && !r.valid(s.Ref, n, depth+1) {
		return false
	}
	if s.AnyOf != nil && !slices.ContainsFunc(s.AnyOf, func(b *jsonschema.Schema) bool { return r.valid(b, n, depth+1) }) {
		return false
	}
	if s.Constant != nil || s.Enum != nil {
		return false // for a scalar only
	}
	switch n.Kind {
	case yaml.MappingNode:
		return typeIs(s, "object") && r.validObject(s, n, depth)
	case yaml.SequenceNode:
		return typeIs(s, "array") && r.validArray(s, n, depth)
	}
	return false
}

func typeIs(s *jsonschema.Schema, t string) bool {
	return len(s.Types) == 0 || slices.Contains(s.Types, t)
}

func (r *quickRun) validObject(s *jsonschema.Schema, n *yaml.Node, depth int) bool {
	if len(n.Content)/2 < s.MinProperties {
		return false
	}
	for _, name := range s.Required {
		if mappingValue(n, name) == nil {
			return false
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			return false
		}
		if s.PropertyNames != nil && !r.validScalar(s.PropertyNames, k.Value) {
			return false
		}
		p, known := s.Properties[k.Value]
		if !known {
			if allowed, isBool := s.AdditionalProperties.(bool); isBool && !allowed {
				return false
			}
			p, _ = s.AdditionalProperties.(*jsonschema.Schema) // nil: anything goes
		}
		if p != nil && !r.valid(p, v, depth+1) {
			return false
		}
	}
	return true
}

// mappingValue returns the value of key in a mapping node, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func (r *quickRun) validArray(s *jsonschema.Schema, n *yaml.Node, depth int) bool {
	if len(n.Content) < s.MinItems || s.UniqueItems && !unique(n.Content) {
		return false
	}
	if s.Items2020 != nil {
		for _, it := range n.Content {
			if !r.valid(s.Items2020, it, depth+1) {
				return false
			}
		}
	}
	return true
}

// unique reports whether items are all different values, as the library
// compares them; an item with a scalar its tag does not fit is left to the
// library.
func unique(items []*yaml.Node) bool {
	keys := make([]string, len(items))
	for i, it := range items {
		k, ok := valueKey(it)
		if !ok {
			return false
		}
		keys[i] = k
	}
	slices.Sort(keys)
	return len(slices.Compact(keys)) == len(items)
}

func (r *quickRun) validScalar(s *jsonschema.Schema, v any) bool {
	if s.Always != nil {
		return *s.Always
	}
	if s.Ref != nil && !r.validScalar(s.Ref, v) {
		return false
	}
	if s.AnyOf != nil && !slices.ContainsFunc(s.AnyOf, func(b *jsonschema.Schema) bool { return r.validScalar(b, v) }) {
		return false
	}
	switch x := v.(type) {
	case nil:
		return typeIs(s, "null") && s.Constant == nil && s.Enum == nil
	case bool:
		return typeIs(s, "boolean") && s.Constant == nil && s.Enum == nil
	case string:
		if !typeIs(s, "string") || s.Constant != nil && s.Constant[0] != x || s.Enum != nil && !slices.Contains(s.Enum, any(x)) {
			return false
		}
		if s.MinLength >= 0 || s.MaxLength >= 0 {
			n := utf8.RuneCountInString(x)
			if s.MinLength >= 0 && n < s.MinLength || s.MaxLength >= 0 && n > s.MaxLength {
				return false
			}
		}
		return s.Pattern == nil || r.match(s.Pattern, x)
	case json.Number:
		n, ok := new(big.Rat).SetString(string(x))
		if !ok || !typeIs(s, "number") && !(typeIs(s, "integer") && n.IsInt()) || s.Enum != nil {
			return false
		}
		if s.Constant != nil {
			c, ok := s.Constant[0].(json.Number)
			if !ok {
				return false
			}
			if cn, ok := new(big.Rat).SetString(string(c)); !ok || cn.Cmp(n) != 0 {
				return false
			}
		}
		return (s.Minimum == nil || n.Cmp(s.Minimum) >= 0) && (s.Maximum == nil || n.Cmp(s.Maximum) <= 0)
	}
	return false
}
