package schema

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Reference renders the schema as a Markdown reference of every key of the
// spec format, from the descriptions in the schema itself. docs/spec.md is
// this output (`make docs` rewrites it; a test fails when it is stale).
func Reference() (string, error) {
	var root map[string]any
	if err := json.Unmarshal(JSON, &root); err != nil {
		return "", fmt.Errorf("parse embedded schema: %w", err)
	}
	defs, _ := root["$defs"].(map[string]any)
	r := &refWriter{defs: defs}
	var b strings.Builder
	b.WriteString("# Spec reference (format version 1)\n\n")
	b.WriteString("<!-- Generated from schema/reposync.schema.json by `make docs`; do not edit by hand. -->\n\n")
	b.WriteString(str(root["description"]) + "\n\n")
	b.WriteString("Every file starts with `version: 1`. Put this line first to get completion and hover help in editors that use\n")
	b.WriteString("yaml-language-server (adjust the relative path):\n\n```yaml\n# yaml-language-server: $schema=../schema/reposync.schema.json\n```\n\n")
	b.WriteString("## Top-level keys\n\n")
	r.table(&b, root)
	props, _ := root["properties"].(map[string]any)
	for _, name := range sortedKeys(props) {
		p := r.resolve(props[name].(map[string]any))
		sub := p
		heading := "`" + name + "`"
		if ap, ok := p["additionalProperties"].(map[string]any); ok {
			sub = r.resolve(ap)
			heading = "`" + name + ".<" + keyName(name) + ">`"
		}
		if _, ok := sub["properties"]; !ok {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", heading, str(sub["description"]))
		r.table(&b, sub)
		r.nested(&b, name, sub)
	}
	return b.String(), nil
}

type refWriter struct{ defs map[string]any }

// resolve follows a $ref into $defs, keeping the referring description.
func (r *refWriter) resolve(s map[string]any) map[string]any {
	ref, ok := s["$ref"].(string)
	if !ok {
		return s
	}
	def, _ := r.defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	out := map[string]any{}
	for k, v := range def {
		out[k] = v
	}
	if d, ok := s["description"]; ok {
		out["description"] = d
	}
	return r.resolve(out)
}

func (r *refWriter) table(b *strings.Builder, s map[string]any) {
	props, _ := s["properties"].(map[string]any)
	req := map[string]bool{}
	if rs, ok := s["required"].([]any); ok {
		for _, x := range rs {
			req[str(x)] = true
		}
	}
	b.WriteString("| key | type | required | description |\n|---|---|---|---|\n")
	for _, name := range sortedKeys(props) {
		p := r.resolve(props[name].(map[string]any))
		need := ""
		if req[name] {
			need = "yes"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", name, r.typeOf(p), need, cell(str(p["description"])))
	}
	b.WriteString("\n")
}

// nested documents the object types reachable from a section (a repository's
// push rules, say) once each.
func (r *refWriter) nested(b *strings.Builder, section string, s map[string]any) {
	props, _ := s["properties"].(map[string]any)
	for _, name := range sortedKeys(props) {
		p := r.resolve(props[name].(map[string]any))
		ap, ok := p["additionalProperties"].(map[string]any)
		if !ok {
			continue
		}
		v := r.resolve(ap)
		if _, ok := v["properties"]; !ok {
			continue
		}
		fmt.Fprintf(b, "### `%s.<%s>.%s.<%s>`\n\n%s\n\n", section, keyName(section), name, keyName(name), str(v["description"]))
		r.table(b, v)
	}
}

func (r *refWriter) typeOf(p map[string]any) string {
	var parts []string
	if e, ok := p["enum"].([]any); ok {
		var vs []string
		for _, x := range e {
			vs = append(vs, "`"+str(x)+"`")
		}
		return "one of " + strings.Join(vs, ", ")
	}
	if c, ok := p["const"]; ok {
		return fmt.Sprintf("`%v`", c)
	}
	t := str(p["type"])
	switch t {
	case "array":
		item := r.resolve(p["items"].(map[string]any))
		parts = append(parts, "list of "+r.typeOf(item))
	case "object":
		if ap, ok := p["additionalProperties"].(map[string]any); ok {
			parts = append(parts, "map of name → "+r.typeOf(r.resolve(ap)))
		} else {
			parts = append(parts, "mapping")
		}
	case "integer":
		if lo, ok := p["minimum"].(float64); ok {
			if hi, ok := p["maximum"].(float64); ok {
				parts = append(parts, fmt.Sprintf("integer %d–%d", int64(lo), int64(hi)))
				break
			}
		}
		parts = append(parts, "integer")
	default:
		parts = append(parts, t)
	}
	return strings.Join(parts, ", ")
}

func keyName(section string) string {
	switch section {
	case "users":
		return "user"
	case "member_groups":
		return "member group"
	case "roles":
		return "role"
	case "groups":
		return "group path"
	case "repositories":
		return "repository path"
	case "policies":
		return "policy"
	case "git_auths":
		return "name"
	case "push_rules":
		return "path"
	case "members":
		return "user"
	}
	return "name"
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func str(v any) string { s, _ := v.(string); return s }

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
