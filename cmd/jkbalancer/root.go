package main

import (
	"github.com/spf13/cobra"

	"github.com/jkbalancer/jkbalancer/config"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "jkbalancer",
		Short: "A drop-in replacement for httpd + mod_jk in front of Tomcat",
		Long: "jkbalancer reads your existing workers.properties and uriworkermap.properties and\n" +
			"balances HTTP traffic over AJP13 members the way mod_jk 1.2.48 does.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCommand(), newCheckCommand(), newDemoCommand(), newImportCommand(), newDrainCommand(), newActivateCommand(), newVersionCommand())
	return root
}

// sourceFlags are the configuration flags serve and check share.
type sourceFlags struct {
	config, workers, mounts string
	mount, listen           []string
	admin                   string
}

func (f *sourceFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.config, "config", "", "jkbalancer.yaml (listeners, JkOptions, logs, file locations)")
	fl.StringVar(&f.workers, "workers", "", "workers.properties (overrides the config file's workers_file)")
	fl.StringVar(&f.mounts, "mounts", "", "uriworkermap.properties (overrides the config file's mount_file)")
	fl.StringArrayVar(&f.mount, "mount", nil, "a JkMount rule PATTERN=WORKER[;ext=...] (repeatable)")
	fl.StringArrayVar(&f.listen, "listen", nil, "listen address, e.g. :8080 (repeatable; replaces the config file's)")
	fl.StringVar(&f.admin, "admin", "", "admin listener for /metrics, /healthz, /readyz, e.g. 127.0.0.1:8099 (\"off\": none; replaces the config file's)")
}

func (f *sourceFlags) sources() config.Sources {
	return config.Sources{
		ConfigFile:  f.config,
		WorkersFile: f.workers,
		MountFile:   f.mounts,
		Mounts:      f.mount,
		Listen:      f.listen,
		Admin:       f.admin,
	}
}
