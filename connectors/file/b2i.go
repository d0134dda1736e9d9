package file

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
