package api

// Every test binary accepts -update, so `go test ./... -update` works.
import _ "github.com/reposync/reposync/internal/golden"
