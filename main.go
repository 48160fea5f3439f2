// Command git-remote-object-store is a git remote helper and management tool that keeps
// git repositories in an S3-compatible bucket, an Azure Blob container or a local
// directory. Installed under the names git-remote-<scheme> it speaks git's remote-helper
// protocol; called by its own name it runs a management verb.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "git-remote-object-store: not built yet")
	os.Exit(1)
}
