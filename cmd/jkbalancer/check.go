package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/jkbalancer/jkbalancer/config"
)

func newCheckCommand() *cobra.Command {
	var f sourceFlags
	var asJSON bool
	c := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and warn about risky settings",
		Long: "check loads the same files serve would, reports every problem at once with\n" +
			"file:line, worker and property, and warns about setups that hurt in production.\n" +
			"Exit status: 1 when there are errors, 0 otherwise.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheck(cmd.OutOrStdout(), cmd.ErrOrStderr(), f.sources(), asJSON)
		},
	}
	f.register(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print the compiled configuration (every default and inheritance applied) as JSON")
	return c
}

func runCheck(stdout, stderr io.Writer, src config.Sources, asJSON bool) error {
	cfg, problems := config.Load(src)
	if cfg != nil {
		problems = append(problems, cfg.RiskWarnings()...)
	}
	report := stdout
	if asJSON {
		report = stderr
	}
	for _, p := range problems {
		fmt.Fprintln(report, p.String())
	}
	if len(problems.Errors()) > 0 || cfg == nil {
		fmt.Fprintf(report, "%d error(s), %d warning(s)\n", len(problems.Errors()), len(problems.Warnings()))
		return exitError{code: 1}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(cfg)
	}
	rules := 0
	if cfg.Mounts != nil {
		rules = len(cfg.Mounts.Rules)
	}
	fmt.Fprintf(report, "configuration OK: %d worker(s) listed, %d mount rule(s), %d warning(s)\n",
		len(cfg.List), rules, len(problems.Warnings()))
	return nil
}
