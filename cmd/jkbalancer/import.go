package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/httpdimport"
)

func newImportCommand() *cobra.Command {
	var out, root string
	c := &cobra.Command{
		Use:   "import HTTPD_CONF",
		Short: "Convert an httpd configuration (mod_jk or mod_proxy_balancer) into jkbalancer.yaml",
		Long: "import reads an httpd configuration the way httpd does (Include/IncludeOptional,\n" +
			"<IfModule>, <VirtualHost>, <Proxy balancer://...>, <Location>) and writes the\n" +
			"jkbalancer.yaml that serves the same traffic: listeners and certificates, the\n" +
			"JkWorkersFile and JkMountFile (read in place, unchanged), JkMount rules, JkOptions,\n" +
			"JkEnvVar, the mod_jk log settings, and mod_proxy_balancer balancers with their\n" +
			"ProxyPass/ProxyPassReverse rules. Every directive it could not carry over is\n" +
			"listed on stderr with its file:line and the reason.\n" +
			"Exit status: 0 when something was imported (even with leftovers), 1 when the\n" +
			"configuration cannot be read or parsed.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], out, root)
		},
	}
	c.Flags().StringVar(&out, "out", "", "write DIR/jkbalancer.yaml instead of printing it")
	c.Flags().StringVar(&root, "server-root", "", "httpd's ServerRoot until the file sets one (default: the file's directory)")
	return c
}

func runImport(stdout, stderr io.Writer, file, outDir, root string) error {
	im, err := httpdimport.Import(file, httpdimport.Options{ServerRoot: root})
	if err != nil {
		fmt.Fprintln(stderr, "import:", err)
		return exitError{code: 1}
	}
	for _, l := range im.Leftovers {
		fmt.Fprintln(stderr, l.String())
	}
	target := ""
	if outDir != "" {
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			fmt.Fprintln(stderr, "import:", err)
			return exitError{code: 1}
		}
		target = filepath.Join(outDir, "jkbalancer.yaml")
		if err := os.WriteFile(target, im.YAML, 0o644); err != nil {
			fmt.Fprintln(stderr, "import:", err)
			return exitError{code: 1}
		}
	} else {
		stdout.Write(im.YAML)
	}
	checkImported(stderr, im.YAML, target)
	fmt.Fprintf(stderr, "import: %d directive(s) carried over, %d not (listed above)", im.Directives, len(im.Leftovers))
	if target != "" {
		fmt.Fprintf(stderr, "; wrote %s", target)
	}
	fmt.Fprintln(stderr)
	if n := im.Errors(); n > 0 {
		fmt.Fprintf(stderr, "import: error: %d access rule(s) marked error above are not carried over exactly; without them the result lets in clients httpd refused: set worker.NAME.allow / user_file by hand\n", n)
		return exitError{code: 1}
	}
	if im.Directives == 0 {
		return exitError{code: 1}
	}
	return nil
}

// checkImported loads the result as serve would and reports what it
// says, so a file the import refers to but this machine lacks shows up now.
func checkImported(stderr io.Writer, yaml []byte, path string) {
	if path == "" {
		tmp, err := os.CreateTemp("", "jkbalancer-import-*.yaml")
		if err != nil {
			return
		}
		defer os.Remove(tmp.Name())
		tmp.Write(yaml)
		tmp.Close()
		path = tmp.Name()
	}
	_, problems := config.Load(config.Sources{ConfigFile: path})
	if errs := problems.Errors(); len(errs) > 0 {
		fmt.Fprintf(stderr, "import: the result does not load yet (%d error(s)); fix these before jkbalancer serve:\n", len(errs))
		for _, p := range errs {
			fmt.Fprintln(stderr, "  "+p.String())
		}
	}
}
