package main

// lfsVerbs are the git-lfs verbs (lfs-agent, lfs install); they live apart from the other
// verbs so the LFS work stays in its own files.
func lfsVerbs() []verb { return nil }
