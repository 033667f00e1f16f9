package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"runtime/debug"
)

// Release builds set these, since a build from an archive has no
// repository to read the commit from (README.md, "Releases"):
//
//	go build -ldflags "-X main.releaseVersion=v1.4.0 -X main.releaseCommit=$(git rev-parse HEAD)" ./cmd/roster
var releaseVersion, releaseCommit string

func printVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	if err := parseFlags(newFlagSet("version"), args, stdout); err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout, version())
	return err
}

// version names this build: the module version and commit that -ldflags
// set, or else those go build recorded.
func version() string {
	info, _ := debug.ReadBuildInfo()
	return describeBuild(info, releaseVersion, releaseCommit)
}

// describeBuild writes "roster VERSION, commit COMMIT". What ver and commit
// leave empty comes from info (which may be nil): the main module's
// version, and the revision of the checkout it was built in, marked
// "(modified)" when that had changes not committed.
func describeBuild(info *debug.BuildInfo, ver, commit string) string {
	recorded := map[string]string{}
	if info != nil {
		recorded["version"] = info.Main.Version
		for _, s := range info.Settings {
			recorded[s.Key] = s.Value
		}
	}
	if ver == "" {
		ver = cmp.Or(recorded["version"], "(devel)")
	}
	if commit == "" {
		commit = cmp.Or(recorded["vcs.revision"], "unknown")
		if recorded["vcs.modified"] == "true" {
			commit += " (modified)"
		}
	}
	return fmt.Sprintf("roster %s, commit %s", ver, commit)
}
