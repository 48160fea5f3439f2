package store

// Caps is what a Store offers beyond the Store interface: one field per optional
// interface, nil when the store lacks it.
//
// Callers find the optional interfaces with CapsOf (or MetaPutterOf, JanitorOf,
// ResumerOf), never by a type assertion on a Store: a store that wraps another (Prefixed)
// offers exactly what the wrapped store offers, which no fixed method set can express,
// so it implements Capable instead of the interfaces themselves.
type Caps struct {
	MetaPutter MetaPutter
	Janitor    Janitor
	Resumer    Resumer
}

// Capable is implemented by a Store that wraps another: Caps reports the optional
// interfaces it passes through, already adapted to the wrapper. A backend need not
// implement it; it implements the optional interfaces as methods, and CapsOf finds them.
type Capable interface {
	Caps() Caps
}

// CapsOf returns the optional interfaces s offers: s.Caps() when s is Capable, otherwise
// each one s implements.
func CapsOf(s Store) Caps {
	if c, ok := s.(Capable); ok {
		return c.Caps()
	}
	var c Caps
	c.MetaPutter, _ = s.(MetaPutter)
	c.Janitor, _ = s.(Janitor)
	c.Resumer, _ = s.(Resumer)
	return c
}

// MetaPutterOf returns s's MetaPutter, if it has one (see CapsOf).
func MetaPutterOf(s Store) (MetaPutter, bool) {
	m := CapsOf(s).MetaPutter
	return m, m != nil
}

// JanitorOf returns s's Janitor, if it has one (see CapsOf).
func JanitorOf(s Store) (Janitor, bool) {
	j := CapsOf(s).Janitor
	return j, j != nil
}

// ResumerOf returns s's Resumer, if it has one (see CapsOf).
func ResumerOf(s Store) (Resumer, bool) {
	r := CapsOf(s).Resumer
	return r, r != nil
}
