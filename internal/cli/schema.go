package cli

import (
	"github.com/spf13/cobra"

	"github.com/reposync/reposync/schema"
)

// NewCmdSchema prints the embedded JSON Schema of the spec format, for editors
// (yaml-language-server) and other tools.
func NewCmdSchema(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the spec format",
		Long: `Print the JSON Schema (draft 2020-12) that every spec file is validated against.

Save it next to your spec and point your editor at it for completion and hover
help, for example with this first line in each YAML file:

  # yaml-language-server: $schema=./reposync.schema.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := f.IO.Out.Write(schema.JSON)
			return err
		},
	}
}
