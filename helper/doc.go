// Package helper speaks git's remote-helper protocol (gitremote-helpers(7)) on a pair of
// streams and drives an engine.Transport. Like net/textproto it is a line reader with a
// length limit and a writer; it writes nothing to stdout but protocol, and everything
// meant for the user (warnings, progress, details of a refusal) to stderr.
package helper
