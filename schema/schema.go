// Package schema embeds the JSON Schema of the reposync spec format so the
// binary validates offline and `reposync schema` can print it. It imports no
// other internal package.
package schema

import _ "embed"

// JSON is the JSON Schema (draft 2020-12) of spec format version 1.
//
//go:embed reposync.schema.json
var JSON []byte

// URL is the identifier the schema is compiled under; it matches its $id.
const URL = "urn:reposync:schema:spec:v1"
