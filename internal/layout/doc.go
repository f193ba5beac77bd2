// Package layout holds no code: its test enforces the import directions of
// STYLE.md across the module, so a reader can trust what a path owns.
package layout
