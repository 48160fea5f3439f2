package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"git-remote-object-store/store"
)

const racers = 16

func lost(err error) bool {
	return errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound)
}

func testConditions(t *testing.T, s store.Store, _ Options) {
	first, err := put(t, s, "c", []byte("v1"), store.Cond{IfNoneMatch: true})
	if err != nil {
		t.Fatalf("create with IfNoneMatch on a new key: %v", err)
	}
	if _, err := put(t, s, "c", []byte("v2"), store.Cond{IfNoneMatch: true}); !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("IfNoneMatch on an existing key = %v, want ErrPrecondition", err)
	}
	second, err := put(t, s, "c", []byte("v2"), store.Cond{IfMatch: first.ETag})
	if err != nil {
		t.Fatalf("IfMatch with the current ETag: %v", err)
	}
	if _, err := put(t, s, "c", []byte("v3"), store.Cond{IfMatch: first.ETag}); !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("IfMatch with a stale ETag = %v, want ErrPrecondition", err)
	}
	if _, err := put(t, s, "nokey", []byte("x"), store.Cond{IfMatch: second.ETag}); !lost(err) {
		t.Fatalf("IfMatch on a missing key = %v, want ErrNotFound or ErrPrecondition", err)
	}
	if _, err := s.Head(ctxT(t), "nokey"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a lost IfMatch created the key: Head = %v", err)
	}
	if got, _ := mustGet(t, s, "c", nil); string(got) != "v2" {
		t.Fatalf("after the conditional writes the value is %q, want v2", got)
	}
}

func testCreateRace(t *testing.T, s store.Store, _ Options) {
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = put(t, s, "race/lock", []byte(fmt.Sprint("owner ", i)), store.Cond{IfNoneMatch: true})
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("racers %d and %d both created the key", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrPrecondition):
			t.Fatalf("racer %d: %v, want nil or ErrPrecondition", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no racer created the key")
	}
	if got, _ := mustGet(t, s, "race/lock", nil); string(got) != fmt.Sprint("owner ", winner) {
		t.Fatalf("key holds %q, the winner was %d", got, winner)
	}
}

// testCASRounds: each round every racer tries to append its id to the value it read,
// all with the same ETag; exactly one may win, and no winner's append may ever be lost.
func testCASRounds(t *testing.T, s store.Store, _ Options) {
	const rounds = 20
	mustPut(t, s, "cas", []byte("start"))
	var winners []string
	for round := range rounds {
		cur, info := mustGet(t, s, "cas", nil)
		var wg sync.WaitGroup
		errs := make([]error, racers)
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				next := fmt.Sprintf("%s\nr%d-g%d", cur, round, i)
				_, errs[i] = put(t, s, "cas", []byte(next), store.Cond{IfMatch: info.ETag})
			}()
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("round %d: racers %d and %d both won the same compare-and-swap", round, won, i)
			case err == nil:
				won = i
			case !errors.Is(err, store.ErrPrecondition):
				t.Fatalf("round %d racer %d: %v, want nil or ErrPrecondition", round, i, err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: nobody won", round)
		}
		winners = append(winners, fmt.Sprintf("r%d-g%d", round, won))
	}
	got, _ := mustGet(t, s, "cas", nil)
	lines := strings.Split(string(got), "\n")[1:]
	if strings.Join(lines, ",") != strings.Join(winners, ",") {
		t.Fatalf("lost updates: the value holds %v, the winners were %v", lines, winners)
	}
}
