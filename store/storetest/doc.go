// Package storetest is the conformance suite every store.Store backend must pass. A
// backend's test calls Run with a constructor for fresh, empty stores:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return newEmptyStore(t) },
//			storetest.Options{PartSize: 5 << 20})
//	}
//
// Each check is a subtest, so `go test -v` shows which rule a backend breaks.
package storetest
