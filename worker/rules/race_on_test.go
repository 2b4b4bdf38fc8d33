//go:build race

package rules

// raceEnabled shrinks the library comparisons under the race detector,
// which makes the phone library about ten times slower.
const raceEnabled = true
