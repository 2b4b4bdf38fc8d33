package infra_test

import (
	"io"
	"testing"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/testenv"
)

const benchSize = 32 << 20

// benchStore writes and reads back a benchSize object per iteration in
// 256 KiB writes, as a Parquet writer would.
func benchStore(b *testing.B, s infra.Store) {
	data := make([]byte, benchSize)
	for i := range data {
		data[i] = byte(i * 7)
	}
	b.Run("write", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			w, err := s.Create(b.Context(), "bench.bin")
			if err != nil {
				b.Fatal(err)
			}
			for off := 0; off < benchSize; off += 256 << 10 {
				if _, err := w.Write(data[off : off+256<<10]); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			r, err := s.Open(b.Context(), "bench.bin")
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, r); err != nil || n != benchSize {
				b.Fatalf("read %d, %v", n, err)
			}
			r.Close()
		}
	})
}

func BenchmarkLocalStore(b *testing.B) {
	s, err := infra.NewLocalStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	benchStore(b, s)
}

func BenchmarkS3Store(b *testing.B) {
	_, cfg, bucket := testenv.S3(b)
	s, err := infra.NewS3Store(b.Context(), cfg, bucket, "bench")
	if err != nil {
		b.Fatal(err)
	}
	benchStore(b, s)
}
