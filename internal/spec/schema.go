package spec

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"

	"github.com/reposync/reposync/internal/state"
	"github.com/reposync/reposync/schema"
)

// compiledSchema compiles the embedded schema once per process, with its
// descriptions (for hints).
var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.ExtractAnnotations = true
	if err := c.AddResource(schema.URL, bytes.NewReader(schema.JSON)); err != nil {
		return nil, fmt.Errorf("load embedded schema: %w", err)
	}
	sch, err := c.Compile(schema.URL)
	if err != nil {
		return nil, fmt.Errorf("compile embedded schema: %w", err)
	}
	return sch, nil
})

// schemaIndex holds every compiled schema the quick check can reach (see
// indexSchemas), by its JSON pointer into the schema document: what the
// messages read, at the pointer a failure reports.
var schemaIndex = sync.OnceValue(func() map[string]*jsonschema.Schema {
	sch, err := compiledSchema()
	if err != nil {
		return nil
	}
	return indexSchemas(sch, map[string]*jsonschema.Schema{})
})

// indexSchemas adds s and every schema below it through the keywords the
// quick check reads to index, by JSON pointer ("" for the root,
// "/$defs/groupPath").
func indexSchemas(s *jsonschema.Schema, index map[string]*jsonschema.Schema) map[string]*jsonschema.Schema {
	_, ptr, _ := strings.Cut(s.Location, "#")
	if index[ptr] != nil {
		return index
	}
	index[ptr] = s
	subs := append([]*jsonschema.Schema{s.Ref, s.PropertyNames, s.Items2020}, s.AnyOf...)
	subs = slices.AppendSeq(subs, maps.Values(s.Properties))
	if a, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
		subs = append(subs, a)
	}
	for _, sub := range subs {
		if sub != nil {
			indexSchemas(sub, index)
		}
	}
	return index
}

// schemaAt returns the compiled schema at a JSON pointer into the schema
// document, such as the parent of a failing keyword; an empty schema when
// there is none.
func schemaAt(ptr string) *jsonschema.Schema {
	if s := schemaIndex()[ptr]; s != nil {
		return s
	}
	return &jsonschema.Schema{}
}

// validateSchema checks one document against the JSON Schema and turns every
// failure into a located, readable diagnostic.
func validateSchema(doc *document) Diagnostics {
	sch, err := compiledSchema()
	if err != nil {
		return Diagnostics{{Severity: SeverityError, File: doc.file, Message: "internal error: " + err.Error()}}
	}
	// Most documents are valid: say so from the nodes, and leave the library
	// (and the JSON value it needs) to the rest, for messages.
	if _, err := quickValidator(); doc.clean && err == nil && validDocument(sch, doc.root) {
		return nil
	}
	err = sch.Validate(jsonValue(doc.root))
	var ve *jsonschema.ValidationError
	if err == nil {
		return nil
	}
	if !errors.As(err, &ve) {
		return Diagnostics{{Severity: SeverityError, File: doc.file, Message: "schema validation failed: " + err.Error()}}
	}
	var diags Diagnostics
	for _, leaf := range leaves(ve) {
		diags = append(diags, describe(doc, leaf)...)
	}
	return diags
}

func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	causes := ve.Causes
	if strings.HasSuffix(ve.KeywordLocation, "/anyOf") {
		// The alternatives are the short and the long form of a grant (a
		// name, or a mapping with it): only the forms the value's type fits
		// say what is wrong with it. A value that fits no form is the anyOf's
		// own failure ("expected a string or a mapping").
		causes = slices.DeleteFunc(slices.Clone(causes), func(c *jsonschema.ValidationError) bool {
			return wrongType(c, ve.InstanceLocation)
		})
		if len(causes) == 0 {
			return []*jsonschema.ValidationError{ve}
		}
	}
	var out []*jsonschema.ValidationError
	for _, c := range causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// wrongType reports whether every failure under ve is a type mismatch of
// the value at loc itself.
func wrongType(ve *jsonschema.ValidationError, loc string) bool {
	for _, l := range leaves(ve) {
		if l.InstanceLocation != loc || !strings.HasSuffix(l.KeywordLocation, "/type") {
			return false
		}
	}
	return true
}

// anyOfTypes lists the JSON types the alternatives of the anyOf in the
// schema at ptr accept, in order, without repeats.
func anyOfTypes(ptr string) []string {
	var out []string
	for _, a := range schemaAt(ptr).AnyOf {
		for i := 0; a.Ref != nil && i < 10; i++ { // follow $ref chains, boundedly
			a = a.Ref
		}
		for _, t := range a.Types {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// describe renders one schema failure as diagnostics in the user's terms.
func describe(doc *document, ve *jsonschema.ValidationError) Diagnostics {
	abs := ve.AbsoluteKeywordLocation
	kwPath := abs[strings.IndexByte(abs, '#')+1:] // the JSON pointer into the schema
	keyword := kwPath[strings.LastIndex(kwPath, "/")+1:]
	parent := strings.TrimSuffix(kwPath, "/"+keyword)
	keyNode, node, p := locate(doc.root, ve.InstanceLocation)
	at := func(n *yaml.Node, p yamlPath, msg string) Diagnostics {
		if msg == "" {
			return nil // another diagnostic says it
		}
		return Diagnostics{diagAt(SeverityError, src(doc.file, n), p, msg)}
	}
	onKey := node
	if keyNode != nil {
		onKey = keyNode
	}
	switch {
	case strings.Contains(ve.KeywordLocation, "/propertyNames"):
		// A failure inside propertyNames is about a key, not a value.
		return at(onKey, p, keyProblem(keyword, parent, lastKey(p)))
	case keyword == "required":
		obj, _ := jsonValue(node).(map[string]any)
		var names []string
		for _, name := range schemaAt(parent).Required {
			if _, ok := obj[name]; !ok {
				names = append(names, "`"+name+"`")
			}
		}
		what := "missing required key"
		if len(names) > 1 {
			what += "s"
		}
		return at(onKey, p, what+" "+strings.Join(names, ", "))
	case keyword == "additionalProperties":
		// The keys the schema does not allow: the instance's keys that are
		// not among the schema's properties (no schema of ours uses
		// patternProperties, and a schema-valued additionalProperties fails
		// in its own sub-schema, not here).
		var ds Diagnostics
		allowed := schemaPropertyNames(parent)
		es := entries(node)
		slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(a.key, b.key) })
		for _, e := range es {
			if slices.Contains(allowed, e.key) || len(p) == 0 && e.key == "scope" {
				continue // a top-level scope: the builder says where it goes (movedScope)
			}
			ds = append(ds, at(e.keyN, p.key(e.key), unknownKeyMessage(e.key, allowed, parent, p))...)
		}
		return ds
	case keyword == "uniqueItems":
		// The validator reports the first item equal to an earlier one.
		i, j, ok := firstRepeat(node.Content)
		if node.Kind != yaml.SequenceNode || !ok {
			return at(node, p, "entries must be unique")
		}
		second, sp := deref(node.Content[j]), p.index(j)
		label := scalarText(second)
		if second != nil && second.Kind == yaml.MappingNode {
			if name := mappingValue(second, "name"); name != nil && name.Kind == yaml.ScalarNode {
				label = name.Value // the long form of a grant
			}
		}
		return at(second, sp, fmt.Sprintf("`%s` is listed twice (entries %d and %d)", label, i+1, j+1))
	}
	return at(node, p, valueProblem(keyword, parent, node, p, ve.Message))
}

// keyProblem says what is wrong with key k, which fails the keyword of the
// propertyNames schema at parent; "" when the converter says it (the key
// holds a character a reviewer cannot see).
func keyProblem(keyword, parent, k string) string {
	if _, invisible := invisibleIn(k, false); invisible {
		return ""
	}
	why := patternHint(parent, k)
	if keyword == "minLength" || keyword == "maxLength" {
		why = lengthProblem(keyword, utf8.RuneCountInString(k), schemaAt(parent))
	}
	return fmt.Sprintf("invalid key `%s`: %s", clip(k), why)
}

// valueProblem says what is wrong with the value of node, at p, which fails
// the keyword of the schema at parent; "" when another diagnostic says it.
// fallback is the validator's message, for a keyword without words of ours.
func valueProblem(keyword, parent string, node *yaml.Node, p yamlPath, fallback string) string {
	value := scalarText(node)
	switch keyword {
	case "anyOf":
		// No form fits the value's type (see leaves).
		return fmt.Sprintf("expected %s, got %s", article(strings.Join(anyOfTypes(parent), " or ")), jsonTypeName(node))
	case "type":
		want := strings.Join(schemaAt(parent).Types, " or ")
		got := jsonTypeName(node)
		msg := fmt.Sprintf("expected %s, got %s", article(want), got)
		switch {
		case want == "object" && got == "nothing":
			msg += " (write `{}` for an empty mapping)"
		case want == "boolean" && node.Kind == yaml.ScalarNode && yesNo(node.Value):
			msg += fmt.Sprintf(" (`%s` is a string in YAML 1.2; write true or false)", node.Value)
		case want == "integer" && got == "a string" && looksNumeric(node.Value):
			msg += " (remove the quotes)"
		case want == "integer" && got == "a number":
			msg = fmt.Sprintf("expected a whole number, got %s", value)
		}
		return msg
	case "const":
		if p.String() == "version" {
			return fmt.Sprintf("unsupported spec version %s; this reposync reads version 1", value)
		}
		want, _ := json.Marshal(schemaAt(parent).Constant[0])
		return fmt.Sprintf("must be %s", want)
	case "enum":
		var choices []string
		for _, v := range schemaAt(parent).Enum {
			choices = append(choices, fmt.Sprint(v))
		}
		return fmt.Sprintf("`%s` is not one of %s", value, strings.Join(backquote(choices), ", ")) + state.DidYouMean(value, choices)
	case "pattern":
		switch _, invisible := invisibleIn(value, false); {
		case invisible:
			return "" // the converter names the character (see convert)
		case strings.HasSuffix(parent, "/$defs/repositoryPattern"):
			// The builder reports the same diagnostic from the glob parser;
			// Sort keeps one.
			return badPatternMessage(value)
		case strings.HasSuffix(parent, "/properties/password_env"):
			// The value is not quoted: what fails here is most likely the
			// password itself, and diagnostics end up in CI logs.
			return fmt.Sprintf("not a variable name (the value is not shown: it may be the password): `password_env` names the environment variable that holds the password (such as `%s`), never the password itself",
				passwordEnvFor(entryName(p)))
		}
		return fmt.Sprintf("`%s` is not valid: %s", clip(value), patternHint(parent, value))
	case "minimum", "maximum":
		bound := func(r *big.Rat) string {
			if r == nil {
				return "0"
			}
			return r.RatString()
		}
		s := schemaAt(parent)
		return fmt.Sprintf("%s is out of range: must be between %s and %s", value, bound(s.Minimum), bound(s.Maximum))
	case "minLength", "maxLength":
		if strings.HasSuffix(parent, "/$defs/repositoryPattern") && value == "" {
			return "" // "empty pattern", from the pattern keyword, says it
		}
		n := 0
		if node.Kind == yaml.ScalarNode {
			n = utf8.RuneCountInString(node.Value)
		}
		return lengthProblem(keyword, n, schemaAt(parent))
	case "minItems":
		return "needs at least " + state.Count(schemaAt(parent).MinItems, "entry")
	case "minProperties":
		return fmt.Sprintf("empty: set at least one of %s", strings.Join(backquote(schemaPropertyNames(parent)), ", "))
	}
	return fallback
}

// unknownKeyMessage explains an unknown key, suggesting the closest allowed
// one, and refuses literal secrets with a pointer to password_env. p is the
// path of the mapping that holds the key.
func unknownKeyMessage(name string, allowed []string, schemaPtr string, p yamlPath) string {
	if isSecretKey(name) {
		hint := "`password_env` in a git_auths entry"
		if strings.HasSuffix(schemaPtr, "/$defs/gitAuth") {
			hint = fmt.Sprintf("`password_env: %s`", passwordEnvFor(entryName(p)))
		}
		return fmt.Sprintf("`%s`: secrets are never written in a spec; put the value in an environment variable and name it with %s", name, hint)
	}
	msg := fmt.Sprintf("unknown key `%s`", name)
	if s := state.DidYouMean(name, allowed); s != "" {
		return msg + s
	}
	if len(allowed) > 0 {
		return msg + "; expected one of " + strings.Join(backquote(allowed), ", ")
	}
	return msg
}

// badPatternMessage is the one diagnostic message for a bad policy glob.
func badPatternMessage(text string) string {
	return fmt.Sprintf("bad repository pattern `%s`: %s", clip(text), repositoryPatternProblem(text))
}

// entryName returns the name of the git_auths entry a path is in
// (git_auths.NAME or below), or "".
func entryName(p yamlPath) string {
	if len(p) >= 2 && p[0] == "git_auths" {
		if s, ok := p[1].(string); ok {
			return s
		}
	}
	return ""
}

// lengthProblem says that n characters break the keyword of s.
func lengthProblem(keyword string, n int, s *jsonschema.Schema) string {
	if keyword == "maxLength" {
		return fmt.Sprintf("too long: %d characters, at most %d allowed", n, s.MaxLength)
	}
	return fmt.Sprintf("too short: %d characters, at least %d needed", n, s.MinLength)
}

func schemaPropertyNames(ptr string) []string {
	return slices.Sorted(maps.Keys(schemaAt(ptr).Properties))
}

// firstRepeat finds the first item equal to an earlier one, as the
// validator's uniqueItems does: the earlier index i and the repeat j.
func firstRepeat(items []*yaml.Node) (i, j int, ok bool) {
	first := map[string]int{}
	for j, it := range items {
		k, _ := valueKey(it) // the library compares what jsonValue built
		if i, dup := first[k]; dup {
			return i, j, true
		}
		first[k] = j
	}
	return 0, 0, false
}

func scalarText(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value
	case yaml.MappingNode:
		return "{…}"
	case yaml.SequenceNode:
		return "[…]"
	}
	return ""
}

func jsonTypeName(n *yaml.Node) string {
	if n = deref(n); n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!bool":
		return "a boolean"
	}
	if _, whole, ok := yamlNumber(n); ok {
		if whole {
			return "an integer"
		}
		return "a number"
	}
	if n.ShortTag() == "!!float" { // .inf, .nan
		return "a number"
	}
	return "a string"
}

func article(jsonType string) string {
	parts := strings.Split(jsonType, " or ")
	for i, t := range parts {
		switch t {
		case "object":
			parts[i] = "a mapping"
		case "array":
			parts[i] = "a list"
		case "integer":
			parts[i] = "an integer"
		default:
			parts[i] = "a " + t
		}
	}
	return strings.Join(parts, " or ")
}

func yesNo(s string) bool {
	return slices.Contains([]string{"yes", "no", "on", "off", "y", "n", "Yes", "No", "YES", "NO", "On", "Off"}, s)
}

// looksNumeric reports whether a quoted string would be a whole number
// without its quotes.
func looksNumeric(s string) bool {
	_, whole, ok := yamlNumber(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s})
	return ok && whole
}

func lastKey(p yamlPath) string {
	if len(p) == 0 {
		return ""
	}
	return fmt.Sprint(p[len(p)-1])
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	if len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z' { // an acronym such as "IAM"
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func backquote(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "`" + n + "`"
	}
	return out
}

// isSecretKey reports whether a key looks like it holds a literal secret.
func isSecretKey(name string) bool {
	l := strings.ToLower(name)
	if l == "password_env" {
		return false
	}
	for _, w := range []string{"password", "passwd", "secret", "token", "credential"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return l == "pass" || l == "pwd" || l == "sk"
}
