package render

// The escaping of escape.go, for other Markdown renderers over spec and
// live strings (`reposync access`) and for callers that compose Markdown
// text of their own (Options.FullPlan): one rule everywhere, so a name that
// is inert in a plan comment is inert in every comment.

// InertCode renders s as an inline code span no backtick in s can close.
func InertCode(s string) string { return code(s) }

// InertText renders s as Markdown text with every character that could
// start Markdown or HTML syntax escaped, on one line.
func InertText(s string) string { return text(s) }

// InertCell makes what InertCode and InertText produced safe inside a
// table cell.
func InertCell(s string) string { return cell(s) }
