module git-remote-object-store

go 1.26
