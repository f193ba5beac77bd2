package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// NewCmdCompletion writes a shell completion script for bash, zsh, fish or
// PowerShell to standard output.
func NewCmdCompletion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a shell completion script. For example:

  source <(reposync completion bash)
  reposync completion zsh > "${fpath[1]}/_reposync"
  reposync completion fish > ~/.config/fish/completions/reposync.fish`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("name one shell: reposync completion bash|zsh|fish|powershell")
			}
			return nil
		},
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			out := f.IO.Out
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return fmt.Errorf("unknown shell %q: choose bash, zsh, fish or powershell", args[0])
		},
	}
}

// fixedCompletions completes a flag from a fixed list of values.
func fixedCompletions[T ~string](values ...T) cobra.CompletionFunc {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return cobra.FixedCompletions(out, cobra.ShellCompDirectiveNoFileComp)
}
