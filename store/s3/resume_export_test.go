package s3

import "git-remote-object-store/store"

// Reopen opens a second Store on the same bucket (storetest.Reopener). Tests only.
func (s *Store) Reopen() (store.Store, error) { return New(s.cfg) }
