// Package state holds the plain value types of the managed world — repository
// groups, repositories with their members, member groups and file push rules,
// policies, Git authorizations and identity pins — as the spec wants them and
// as the cloud has them. It does no I/O and imports no other internal package;
// spec builds these values, remote reads them from the API, plan diffs them.
package state
