package infra

import "time"

// SetPresignClock makes s presign as if the time were now(): tests sign
// URLs in the past to see the server refuse them once expired.
func SetPresignClock(s *S3Store, now func() time.Time) { s.clock = now }
