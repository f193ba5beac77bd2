package schema

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Reference renders the schema as a Markdown reference of every key of the
// spec format, from the descriptions in the schema itself. docs/spec.md is
// this output (`make docs` rewrites it; TestSpecDocUpToDate fails when it is
// stale). It lives in a test file: only that test calls it.
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
	r.longForms(&b)
	return b.String(), nil
}

// refWriter renders schema parts; longForm collects, in order of first
// mention, the object definitions that are one branch of an anyOf (the long
// forms of grants), documented once at the end.
type refWriter struct {
	defs     map[string]any
	longForm []string
}

// longForms documents the long forms of grants that the tables mention.
func (r *refWriter) longForms(b *strings.Builder) {
	if len(r.longForm) == 0 {
		return
	}
	b.WriteString("## Long forms of grants\n\n")
	b.WriteString("Wherever a role or a name grants access (a member's role, a member group attachment, a push rule's users,\n")
	b.WriteString("member groups and roles), the short form can be replaced by a mapping that also says until when the grant holds\n")
	b.WriteString("and why it exists, in repositories, groups and policies alike. From the day after `expires` the grant counts\n")
	b.WriteString("as absent from the spec; `reposync validate` warns about past dates (`--warn-expiring 14d` lists those ending\n")
	b.WriteString("soon) and plans list the grants that end within 14 days.\n\n")
	b.WriteString("```yaml\nmembers:\n  alice: admin\n  bob: {role: developer, expires: 2027-01-31, reason: TICKET-123}\n")
	b.WriteString("member_groups: [payments-leads, {name: auditors, expires: 2027-03-31, reason: AUDIT-7}]\n")
	b.WriteString("push_rules:\n  /config/*: {users: [alice, {name: carol, expires: 2027-01-15}]}\n```\n\n")
	for i := 0; i < len(r.longForm); i++ { // a table may mention more
		name := r.longForm[i]
		def, _ := r.defs[name].(map[string]any)
		fmt.Fprintf(b, "### `%s`\n\n%s\n\n", name, str(def["description"]))
		r.table(b, def)
	}
}

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
	if alts, ok := p["anyOf"].([]any); ok {
		for _, a := range alts {
			am, _ := a.(map[string]any)
			if ref, ok := am["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/$defs/")
				if def, _ := r.defs[name].(map[string]any); def["type"] == "object" {
					if !slices.Contains(r.longForm, name) {
						r.longForm = append(r.longForm, name)
					}
					parts = append(parts, "mapping `"+name+"` (below)")
					continue
				}
			}
			parts = append(parts, r.typeOf(r.resolve(am)))
		}
		return strings.Join(parts, ", or ")
	}
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
	case "scopes":
		return "spec file"
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
