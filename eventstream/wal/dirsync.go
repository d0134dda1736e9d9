package wal

import (
	"errors"
	"syscall"
)

// ignorableDirSyncError reports whether a directory fsync failed only
// because the platform cannot sync directories.
func ignorableDirSyncError(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) || errors.Is(err, syscall.ENOSYS)
}
