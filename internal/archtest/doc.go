// Package archtest is the architecture test of the module: it holds no
// code, and its test enforces the import rules of docs/architecture.md across the
// module (every package needs a rule), so a reader can trust what a path
// owns.
package archtest
