package spec

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"
)

func TestQuickSchemaCompiles(t *testing.T) {
	if _, err := quickValidator(); err != nil {
		t.Fatalf("the quick schema check cannot handle the schema, so every document goes to the slow library: %v", err)
	}
}

// TestQuickSchemaRefusesWhatItCannotRead: a keyword the quick check does not
// interpret, anywhere below the root, makes it refuse the schema, so a new
// keyword in the schema can never be skipped.
func TestQuickSchemaRefusesWhatItCannotRead(t *testing.T) {
	for _, s := range []string{
		`{"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}}`,
		`{"$defs": {"n": {"multipleOf": 2}}, "items": {"$ref": "#/$defs/n"}}`,
		`{"additionalProperties": {"maxLength": 3, "format": "email"}}`,
	} {
		c := jsonschema.NewCompiler()
		c.Draft = jsonschema.Draft2020
		if err := c.AddResource("urn:test", strings.NewReader(s)); err != nil {
			t.Fatal(err)
		}
		sch, err := c.Compile("urn:test")
		if err != nil {
			t.Fatal(err)
		}
		if err := quickSupports(indexSchemas(sch, map[string]*jsonschema.Schema{})); err == nil {
			t.Errorf("%s: the quick check accepts a schema with a keyword it does not interpret", s)
		}
	}
}

// libraryValid is the reference: the validator library on the JSON value.
func libraryValid(t testing.TB, doc *document) bool {
	t.Helper()
	sch, err := compiledSchema()
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(jsonValue(doc.root)) == nil
}

// agree checks one document: the quick check may say "no" where the library
// says "yes" (that only costs time), never the reverse.
func agree(t testing.TB, doc *document, name string) (quick, lib bool) {
	t.Helper()
	q, err := quickValidator()
	if err != nil {
		t.Fatal(err)
	}
	quick, lib = validDocument(q, doc.root), libraryValid(t, doc)
	if quick && !lib {
		out, _ := yaml.Marshal(doc.root)
		t.Fatalf("%s: the quick check accepts a document the schema rejects:\n%s", name, out)
	}
	return quick, lib
}

// TestQuickSchemaAgreesWithLibrary runs both checks on the corpus (where they
// must give the same answer) and on thousands of random mutations of it
// (where the quick check must never accept what the library rejects).
func TestQuickSchemaAgreesWithLibrary(t *testing.T) {
	var docs []*document
	for _, src := range corpusSources(t) {
		doc, _ := parseDocument(DefaultOptions(), src)
		if doc == nil || !doc.clean {
			continue
		}
		docs = append(docs, doc)
		if quick, lib := agree(t, doc, src.name); quick != lib {
			t.Errorf("%s: quick check says %v, library says %v; the quick check is needlessly cautious", src.name, quick, lib)
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	accepted, rejected, cautious := 0, 0, 0
	for i := 0; i < 20000; i++ {
		doc := docs[rng.IntN(len(docs))]
		root := cloneNode(doc.root)
		for n := 1 + rng.IntN(3); n > 0; n-- {
			mutate(rng, root)
		}
		m := &document{file: doc.file, root: root, clean: true}
		c := newConverter(DefaultOptions(), m.file, root)
		c.convert(root, 0)
		if len(c.diags) > 0 {
			continue // a duplicate key made by the mutation: not a clean tree
		}
		quick, lib := agree(t, m, fmt.Sprintf("mutation %d of %s", i, doc.file))
		if quick != lib {
			cautious++
		}
		if quick {
			accepted++
		} else {
			rejected++
		}
	}
	if accepted < 1000 || rejected < 1000 {
		t.Errorf("mutations: %d accepted, %d rejected; both should be common for the comparison to mean much", accepted, rejected)
	}
	// Today the two agree exactly; a deliberately cautious "no" would be
	// allowed, but should be rare enough to keep the library off the path.
	if cautious > accepted/100 {
		t.Errorf("the quick check said no to %d of %d documents the library accepts", cautious, accepted+cautious)
	}
}

func cloneNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = cloneNode(ch)
	}
	return &c
}

// scalars are values a mutation writes, chosen to hit every keyword of the
// schema: types, patterns, lengths, ranges, enums and numbers of every form.
var scalars = []string{
	"1", "0", "-1", "2", "2147483647", "2147483648", "1.5", "1.0", "1e3", "1e309", "-1e400", "1e-400", "0x1F", ".inf",
	"true", "false", "yes", "null", "~", "", "x", "admin", "viewer", "developer", "owner", "private", "public", "github", "gitlab",
	"bitbucket", "devcloud", "alice", "alice smith!", " alice", "payments/**", "/payments/**", "!payments/**", "payments//api",
	"/config/*", "config/*", "0b234373cf3f4b04ab2d8a245155e12b", "0B234373CF3F4B04AB2D8A245155E12B", "87b3dc20", "BITBUCKET_PASSWORD",
	"hunter2 is my password", "a/b", "a\x01b", "zoë", "leads ", "members", "member_groups", "push_rules", "repositories", "password",
	"2027-01-31", "2027-1-31", "2027-02-30", "expires", "reason", "name", "role",
}

// mutate changes one random node of the tree in place.
func mutate(rng *rand.Rand, root *yaml.Node) {
	var nodes []*yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		nodes = append(nodes, n)
		for _, ch := range n.Content {
			walk(ch)
		}
	}
	walk(root)
	n := nodes[rng.IntN(len(nodes))]
	scalar := func() *yaml.Node {
		v := scalars[rng.IntN(len(scalars))]
		node := &yaml.Node{Kind: yaml.ScalarNode, Value: v}
		if rng.IntN(4) == 0 {
			node.Tag, node.Style = "!!str", yaml.DoubleQuotedStyle
		} else {
			var tmp yaml.Node
			if yaml.Unmarshal([]byte("v: "+v), &tmp) == nil && len(tmp.Content) > 0 && len(tmp.Content[0].Content) == 2 {
				node = tmp.Content[0].Content[1]
			} else {
				node.Tag, node.Style = "!!str", yaml.DoubleQuotedStyle
			}
		}
		return node
	}
	switch rng.IntN(7) {
	case 0: // replace a scalar's value
		if n.Kind == yaml.ScalarNode {
			*n = *scalar()
		}
	case 1: // a scalar becomes a mapping or a list, or the other way round
		switch rng.IntN(3) {
		case 0:
			*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		case 1:
			*n = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{scalar()}}
		case 2:
			*n = *scalar()
		}
	case 2: // drop an entry
		if n.Kind == yaml.MappingNode && len(n.Content) >= 2 {
			i := 2 * rng.IntN(len(n.Content)/2)
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
		} else if n.Kind == yaml.SequenceNode && len(n.Content) >= 1 {
			i := rng.IntN(len(n.Content))
			n.Content = append(n.Content[:i], n.Content[i+1:]...)
		}
	case 3: // add an entry with a random key
		if n.Kind == yaml.MappingNode {
			k := scalar()
			if k.Kind == yaml.ScalarNode && mappingValue(n, k.Value) == nil {
				n.Content = append(n.Content, k, scalar())
			}
		} else if n.Kind == yaml.SequenceNode {
			n.Content = append(n.Content, scalar())
		}
	case 4: // repeat a list item
		if n.Kind == yaml.SequenceNode && len(n.Content) > 0 {
			n.Content = append(n.Content, cloneNode(n.Content[rng.IntN(len(n.Content))]))
		}
	case 5: // rename a key
		if n.Kind == yaml.MappingNode && len(n.Content) >= 2 {
			k := scalar()
			if k.Kind == yaml.ScalarNode && mappingValue(n, k.Value) == nil {
				n.Content[2*rng.IntN(len(n.Content)/2)] = k
			}
		}
	case 6: // an empty value
		if n.Kind == yaml.MappingNode && len(n.Content) >= 2 {
			n.Content[2*rng.IntN(len(n.Content)/2)+1] = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
	}
}

// FuzzQuickSchema: whatever the document, the quick check never accepts
// what the library rejects.
//
//	go test ./internal/spec -run '^$' -fuzz FuzzQuickSchema -fuzztime 5m
func FuzzQuickSchema(f *testing.F) {
	for _, src := range corpusSources(f) {
		f.Add(src.data)
	}
	opts := DefaultOptions()
	opts.MaxFileSize = 64 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		doc, _ := parseDocument(opts, source{name: "fuzz.yaml", rel: "fuzz.yaml", data: data})
		if doc == nil || !doc.clean {
			return
		}
		agree(t, doc, "fuzz input")
	})
}
