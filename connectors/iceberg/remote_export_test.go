package iceberg

// SetBeforeCommitForTest installs f as the hook run between staging a
// sink's commit and sending it (nil removes it), so the REST tests of
// package iceberg_test can make another writer win the race.
func SetBeforeCommitForTest(f func(name string, attempt int)) { beforeCommit = f }
