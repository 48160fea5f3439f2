package storetest

import (
	"errors"
	"fmt"
	"io"
	"strconv"
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

// testReadModifyWrite is the lost-update check engines depend on: every racer loops
// Get → increment → Put(IfMatch: the ETag that Get reported). The ETag must be that of
// the bytes Get returned, so the counter must end equal to the number of swaps won; a
// backend that pairs old bytes with a newer ETag lets a stale increment overwrite a newer
// one and the counter falls behind.
func testReadModifyWrite(t *testing.T, s store.Store, opt Options) {
	workers, rounds := 8, 25
	if opt.Short {
		rounds = 8
	}
	mustPut(t, s, "rmw/counter", []byte("0"))
	var wg sync.WaitGroup
	wins := make([]int, workers)
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				rc, info, err := s.Get(ctxT(t), "rmw/counter", nil)
				if err != nil {
					errs[w] = fmt.Errorf("get: %w", err)
					return
				}
				data, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					errs[w] = fmt.Errorf("read: %w", err)
					return
				}
				n, err := strconv.Atoi(string(data))
				if err != nil {
					errs[w] = fmt.Errorf("counter holds %q", data)
					return
				}
				_, err = put(t, s, "rmw/counter", []byte(strconv.Itoa(n+1)), store.Cond{IfMatch: info.ETag})
				switch {
				case err == nil:
					wins[w]++
				case !errors.Is(err, store.ErrPrecondition):
					errs[w] = fmt.Errorf("conditional put: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range wins {
		total += n
	}
	got, _ := mustGet(t, s, "rmw/counter", nil)
	if string(got) != strconv.Itoa(total) {
		t.Fatalf("lost updates: %d compare-and-swaps succeeded but the counter reads %s", total, got)
	}
	if total == 0 {
		t.Fatal("no compare-and-swap succeeded")
	}
}
