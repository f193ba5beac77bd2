package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/reposync/reposync/internal/state"
)

// document is one parsed spec file: its YAML node tree, for positions and
// for building the state.
type document struct {
	file  string
	rel   string     // the file's path below its spec root (source.rel)
	root  *yaml.Node // the top-level mapping
	clean bool       // no duplicate or merge keys, no odd keys: the quick schema check applies
}

// jsonValue is the value of n as the schema validator takes it: aliases
// followed; merge keys, keys that are not strings and repeated keys left
// out, as the converter reported them; scalars as scalarValue reads them.
// The converter has checked the tree, so its size and depth are bounded.
func jsonValue(n *yaml.Node) any {
	switch n = deref(n); {
	case n == nil:
		return nil
	case n.Kind == yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, ch := range n.Content {
			out[i] = jsonValue(ch)
		}
		return out
	case n.Kind == yaml.MappingNode:
		es := entries(n)
		out := make(map[string]any, len(es))
		for _, e := range es {
			out[e.key] = jsonValue(e.value)
		}
		return out
	case n.Kind == yaml.ScalarNode:
		v, _ := scalarValue(n)
		return v
	}
	return nil
}

// valueKey renders the value of n as jsonValue builds it, so that values
// the schema library holds equal render the same: numbers by their exact
// value (1, 1.0 and 1e0 are equal), mappings whatever the order of their
// keys. ok is false when n holds a scalar its tag does not fit.
func valueKey(n *yaml.Node) (string, bool) {
	switch n = deref(n); {
	case n == nil:
		return "null", false
	case n.Kind == yaml.SequenceNode:
		keys, ok := make([]string, len(n.Content)), true
		for i, it := range n.Content {
			var itemOK bool
			keys[i], itemOK = valueKey(it)
			ok = ok && itemOK
		}
		b, _ := json.Marshal(keys)
		return "l" + string(b), ok
	case n.Kind == yaml.MappingNode:
		es, ok := entries(n), true
		keys := make(map[string]string, len(es))
		for _, e := range es {
			var valueOK bool
			keys[e.key], valueOK = valueKey(e.value)
			ok = ok && valueOK
		}
		b, _ := json.Marshal(keys) // in key order
		return "m" + string(b), ok
	case n.Kind != yaml.ScalarNode:
		return "null", false
	}
	kind, text, b, ok := readScalar(n)
	switch kind {
	case stringValue:
		return "s" + text, ok
	case numberValue:
		r, _ := new(big.Rat).SetString(text) // yamlNumber's digits always read
		return "n" + r.RatString(), ok
	case boolValue:
		return strconv.FormatBool(b), ok
	}
	return "null", ok
}

// parseDocument parses one file defensively: invalid UTF-8, parser failures,
// several documents, excessive alias expansion, deep nesting, duplicate keys
// and merge keys all become diagnostics; nothing here panics or allocates
// without bound.
func parseDocument(opts Options, src source) (*document, Diagnostics) {
	fail := func(sev Severity, line, col int, msg string) (*document, Diagnostics) {
		return nil, Diagnostics{{Severity: sev, File: src.name, Line: line, Column: col, Message: msg}}
	}
	const empty = "empty file (no YAML document); it is ignored"
	if !utf8.Valid(src.data) {
		line, col, b := firstInvalidUTF8(src.data)
		return fail(SeverityError, line, col, fmt.Sprintf("file is not valid UTF-8 (byte 0x%02x); save it as UTF-8", b))
	}
	if i := bytes.IndexByte(src.data, 0); i >= 0 {
		line, col := lineCol(src.data, i)
		return fail(SeverityError, line, col, "file contains a NUL byte; is it a binary file?")
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src.data))
	err := safeDecode(dec, &root)
	if errors.Is(err, io.EOF) {
		return fail(SeverityWarning, 0, 0, empty)
	}
	if err != nil {
		return nil, Diagnostics{syntaxError(src.name, src.data, dec, err)}
	}
	// A second document in the same file is almost always a mistake (two
	// specs pasted together); refuse it rather than silently ignore it.
	var second yaml.Node
	if err := safeDecode(dec, &second); !errors.Is(err, io.EOF) {
		d := Diagnostic{Severity: SeverityError, File: src.name, Line: second.Line, Column: second.Column}
		if err != nil {
			// The second document does not even parse: point at its problem.
			d = syntaxError(src.name, src.data, dec, err)
		}
		d.Message = "more than one YAML document (`---`) in one file; put each document in its own file"
		return nil, Diagnostics{d}
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return fail(SeverityWarning, 0, 0, empty)
	}
	top := root.Content[0]
	if top.Kind == yaml.ScalarNode && top.ShortTag() == "!!null" {
		return fail(SeverityWarning, 0, 0, empty)
	}
	if top.Kind != yaml.MappingNode {
		return fail(SeverityError, top.Line, top.Column, "the top level of a spec file must be a mapping, starting with `version: 1`")
	}
	// Check the structure without building anything: most documents are
	// clean and valid, and then the schema check reads the nodes directly.
	c := newConverter(opts, src.name, top)
	c.convert(top, 0)
	if c.stopped {
		return nil, c.diags
	}
	return &document{file: src.name, rel: src.rel, root: top, clean: len(c.diags) == 0}, c.diags
}

// safeDecode guards against a panic inside the YAML parser: hostile input must
// give an error, never crash the tool.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the parser failed on this input (%v)", r)
		}
	}()
	return dec.Decode(n)
}

// countNodes counts the nodes of the tree as written (aliases not expanded).
func countNodes(n *yaml.Node, depth int) int {
	if n == nil || depth > 10_000 {
		return 0
	}
	c := 1
	for _, ch := range n.Content {
		c += countNodes(ch, depth+1)
	}
	return c
}

// converter checks the structure of a YAML node tree: what jsonValue would
// leave out, aliases that expand too far, nesting too deep, tags, and
// characters a reviewer cannot see.
type converter struct {
	file    string
	budget  int // nodes left to visit, aliases expanded
	maxDep  int
	stopped bool // by the budget or the depth: the rest goes unchecked
	// shared counts the anchored nodes and aliases being visited: only a
	// mapping inside one can be reached twice, and only those are
	// remembered in checked.
	shared  int
	checked map[*yaml.Node]bool // shared mappings already checked for duplicate keys
	stack   yamlPath            // the path of the node being converted
	diags   Diagnostics
	// reported holds the nodes a tag or an invisible character was
	// reported at, so an alias repeated a thousand times says it once.
	reported map[*yaml.Node]bool
}

func newConverter(opts Options, file string, top *yaml.Node) *converter {
	return &converter{
		file:   file,
		budget: 4*countNodes(top, 0) + 100_000,
		maxDep: opts.MaxDepth,
	}
}

func (c *converter) errAt(n *yaml.Node, p yamlPath, msg string) {
	c.diags = append(c.diags, diagAt(SeverityError, src(c.file, n), p, msg))
}

// path returns the YAML path of the node being converted.
func (c *converter) path() yamlPath { return slices.Clone(c.stack) }

// convert checks n. The YAML path lives on a stack and is only copied when
// a diagnostic needs it, so a clean tree costs no paths.
func (c *converter) convert(n *yaml.Node, depth int) {
	if c.stopped {
		return
	}
	c.budget--
	if c.budget < 0 {
		c.stopped = true
		c.errAt(n, c.path(), "YAML aliases expand to too many values (an alias bomb?); write the values out or use fewer aliases")
		return
	}
	if depth > c.maxDep {
		c.stopped = true
		p := c.path()
		if len(p) > 4 {
			p = append(p[:4], "…")
		}
		c.errAt(n, p, fmt.Sprintf("nesting deeper than %d levels; a spec is never this deep", c.maxDep))
		return
	}
	if n.Anchor != "" {
		c.shared++
		defer func() { c.shared-- }()
	}
	if n.Kind != yaml.AliasNode && !c.checkValue(n) {
		return
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			c.errAt(n, c.path(), "alias to an unknown anchor")
			return
		}
		c.shared++
		defer func() { c.shared-- }()
		c.convert(n.Alias, depth+1)
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			c.convert(n.Content[0], depth+1)
		}
	case yaml.SequenceNode:
		for i, ch := range n.Content {
			c.stack = append(c.stack, i)
			c.convert(ch, depth+1)
			c.stack = c.stack[:len(c.stack)-1]
		}
	case yaml.MappingNode:
		c.convertMapping(n, depth)
	}
}

// convertMapping checks a mapping's keys — merge keys, keys that are not
// plain strings, duplicates — and its values.
func (c *converter) convertMapping(n *yaml.Node, depth int) {
	check := true
	if c.shared > 0 {
		if c.checked == nil {
			c.checked = map[*yaml.Node]bool{}
		}
		check = !c.checked[n]
		c.checked[n] = true
	}
	// Duplicate keys: a short mapping is scanned, a long one indexed.
	var first map[string]*yaml.Node
	if len(n.Content) > 32 {
		first = make(map[string]*yaml.Node, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.ShortTag() == "!!merge" {
			if check {
				c.errAt(k, c.path(), "YAML merge keys (`<<`) are not supported; write the entries out (aliases of whole values are fine)")
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			if check {
				c.errAt(k, c.path(), "mapping keys must be plain strings")
			}
			continue
		}
		key := k.Value
		if check {
			c.checkKey(k)
		}
		var prev *yaml.Node
		if first != nil {
			if prev = first[key]; prev == nil {
				first[key] = k
			}
		} else {
			prev = earlierKey(n, i, key)
		}
		if prev != nil {
			if check {
				c.errAt(k, c.path().key(key), fmt.Sprintf("duplicate key `%s`; first defined at %s:%d:%d", key, c.file, prev.Line, prev.Column))
			}
			continue
		}
		c.stack = append(c.stack, key)
		c.convert(v, depth+1)
		c.stack = c.stack[:len(c.stack)-1]
	}
}

// checkValue reports a value that is not what it says: a tag outside
// YAML's core schema, a scalar its tag does not fit, a scalar holding a
// character a reviewer cannot see for what it is. It says whether the
// value is worth converting further (a collection with an odd tag is).
func (c *converter) checkValue(n *yaml.Node) bool {
	if !coreTag(n) {
		c.once(n, "YAML tag `"+n.ShortTag()+"` is not supported: reposync reads values as written; remove the tag (quote the value to make it a string)")
		return n.Kind != yaml.ScalarNode
	}
	if n.Kind != yaml.ScalarNode {
		return true
	}
	if n.Style&yaml.TaggedStyle != 0 { // an untagged scalar always fits
		if _, _, _, ok := readScalar(n); !ok {
			c.once(n, fmt.Sprintf("`%s` is not a value of the YAML tag `%s`; remove the tag", clip(state.Visible(n.Value)), n.ShortTag()))
		}
	}
	if r, ok := invisibleIn(n.Value, freeText(c.stack)); ok {
		c.once(n, fmt.Sprintf("`%s` contains %s; remove it (a reviewer cannot see it)", clip(state.Visible(n.Value)), describeInvisible(r)))
	}
	return true
}

// checkKey reports a mapping key with a tag or a character a reviewer
// cannot see for what it is, at the key's path.
func (c *converter) checkKey(k *yaml.Node) {
	msg := ""
	if !coreTag(k) {
		msg = "YAML tag `" + k.ShortTag() + "` on a key is not supported: keys are names, written as they are; remove the tag"
	} else if r, ok := invisibleIn(k.Value, false); ok {
		msg = fmt.Sprintf("key `%s` contains %s; remove it (a reviewer cannot see it, and the name would not be the one it looks like)", clip(state.Visible(k.Value)), describeInvisible(r))
	}
	if msg != "" {
		c.stack = append(c.stack, k.Value)
		c.once(k, msg)
		c.stack = c.stack[:len(c.stack)-1]
	}
}

// once reports a problem with node n at the path being converted, once per
// node however many aliases reach it.
func (c *converter) once(n *yaml.Node, msg string) {
	if c.reported == nil {
		c.reported = map[*yaml.Node]bool{}
	}
	if !c.reported[n] {
		c.reported[n] = true
		c.errAt(n, c.path(), msg)
	}
}

// coreTag reports whether n carries no tag, or one of YAML 1.2's core
// schema for its kind (!!str, !!int, !!bool, !!null, !!float; !!map,
// !!seq). Every other tag — `!x`, `!!timestamp`, `!!binary` — is an error:
// the schema check would read such a value as its text while the builder
// skipped it, so a tagged value would vanish between the two.
func coreTag(n *yaml.Node) bool {
	if n.Style&yaml.TaggedStyle == 0 {
		return true // implicit, or the non-specific `!`
	}
	switch n.ShortTag() {
	case "!!str", "!!int", "!!bool", "!!null", "!!float":
		return n.Kind == yaml.ScalarNode
	case "!!map":
		return n.Kind == yaml.MappingNode
	case "!!seq":
		return n.Kind == yaml.SequenceNode
	}
	return false
}

// freeText reports whether the value at path p is free text that may span
// lines: a group's or policy's `description`, a grant's `reason`.
func freeText(p yamlPath) bool {
	if len(p) == 0 {
		return false
	}
	last, _ := p[len(p)-1].(string)
	return last == "description" || last == "reason"
}

// invisibleIn finds the first state.Invisible character of s — but in free
// text line breaks, tabs and non-ASCII spaces are text.
func invisibleIn(s string, free bool) (rune, bool) {
	for _, r := range s {
		if state.Invisible(r) && !(free && (r == '\n' || r == '\t' || unicode.Is(unicode.Zs, r))) {
			return r, true
		}
	}
	return 0, false
}

// describeInvisible names an invisible character for a message.
func describeInvisible(r rune) string {
	kind := "a control character"
	switch {
	case unicode.Is(unicode.Cf, r):
		kind = "a format character (invisible, or reordering the text around it)"
	case unicode.In(r, unicode.Zl, unicode.Zp):
		kind = "a line or paragraph separator"
	case unicode.Is(unicode.Zs, r):
		kind = "a space other than U+0020"
	case r == '\n' || r == '\t':
		kind = "a line break or tab, which only a `description` or a `reason` may hold"
	}
	return fmt.Sprintf("%U, %s", r, kind)
}

// earlierKey returns the key node of the first entry of mapping n before
// index i with the same key, or nil.
func earlierKey(n *yaml.Node, i int, key string) *yaml.Node {
	for j := 0; j < i; j += 2 {
		if k := deref(n.Content[j]); k != nil && k.Kind == yaml.ScalarNode && k.Value == key && k.ShortTag() != "!!merge" {
			return k
		}
	}
	return nil
}

// The kinds of value a scalar is, as readScalar reads it.
type valueKind uint8

const (
	stringValue valueKind = iota
	nullValue
	boolValue
	numberValue
)

// readScalar is the one reading of a scalar: the schema checks what it
// returns (scalarValue) and the builder takes strings through str, so no
// value can pass the one and be dropped by the other. It resolves YAML 1.2
// as yaml.v3 does, but numbers are exact (yamlNumber); text is a string's
// text or a number's digits, and a plain date or a `<<` value is its text.
// ok is false for a value its explicit tag does not fit (`!!int abc`) or a
// tag outside YAML's core schema (coreTag): errors the converter reports.
func readScalar(n *yaml.Node) (kind valueKind, text string, b, ok bool) {
	explicit := n.Style&yaml.TaggedStyle != 0
	switch tag := n.ShortTag(); tag {
	case "!!null":
		return nullValue, "", false, !explicit || n.Value == "" || n.Value == "~" || n.Value == "null"
	case "!!bool":
		var v bool // not b: its address escapes
		if n.Decode(&v) == nil {
			return boolValue, "", v, true
		}
		return stringValue, n.Value, false, !explicit
	case "!!int", "!!float", "!!str":
		if num, _, isNum := yamlNumber(n); isNum {
			return numberValue, string(num), false, true // for !!str: a plain number too large for yaml.v3
		}
		return stringValue, n.Value, false, tag == "!!str" || !explicit // .inf and .nan, which JSON cannot hold
	}
	return stringValue, n.Value, false, coreTag(n)
}

// scalarValue is readScalar's value as the schema validator takes it: nil,
// a bool, a json.Number or a string.
func scalarValue(n *yaml.Node) (any, bool) {
	kind, text, b, ok := readScalar(n)
	switch kind {
	case nullValue:
		return nil, ok
	case boolValue:
		return b, ok
	case numberValue:
		return json.Number(text), ok
	}
	return text, ok
}

// str is the text of a scalar that readScalar reads as a string.
func str(n *yaml.Node) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	kind, text, _, ok := readScalar(n)
	return text, ok && kind == stringValue
}

// firstInvalidUTF8 locates the first byte that is not valid UTF-8.
func firstInvalidUTF8(data []byte) (line, col int, b byte) {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			line, col = lineCol(data, i)
			return line, col, data[i]
		}
		i += size
	}
	return 0, 0, 0
}

// lineCol converts a byte offset to a 1-based line and column (in runes).
func lineCol(data []byte, off int) (line, col int) {
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, 1 + utf8.RuneCount(data[start:off])
}

// unescapePointerToken undoes the validator's escaping of one token of an
// instance location: JSON-pointer escaping, then percent-encoding.
func unescapePointerToken(tok string) string {
	if u, err := url.PathUnescape(tok); err == nil {
		tok = u
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}

// locate finds the node at a JSON pointer (as the schema validator reports
// it), following aliases. It returns the key node that leads to the value (nil
// at the top or in a sequence), the value node, and the YAML path. When the
// pointer goes further than the tree, the deepest node found is returned.
func locate(root *yaml.Node, pointer string) (key, val *yaml.Node, p yamlPath) {
	val = root
	if pointer == "" || pointer == "/" {
		return nil, root, nil
	}
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = unescapePointerToken(tok)
		switch val = deref(val); val.Kind {
		case yaml.MappingNode:
			es := entries(val)
			i := slices.IndexFunc(es, func(e entry) bool { return e.key == tok })
			if i < 0 {
				return key, val, p
			}
			key, val, p = es[i].keyN, es[i].value, p.key(tok)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(val.Content) {
				return key, val, p
			}
			key, val = nil, val.Content[i]
			p = p.index(i)
		default:
			return key, val, p
		}
	}
	return key, deref(val), p
}
