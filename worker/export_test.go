package worker

// SetPackAfter sets the spill size from which frames are packed and
// returns a function that restores it (tests in package worker_test).
func SetPackAfter(n int64) (restore func()) {
	old := packAfter
	packAfter = n
	return func() { packAfter = old }
}
