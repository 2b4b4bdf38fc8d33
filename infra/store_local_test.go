package infra_test

import (
	"testing"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/storetest"
)

func TestLocalStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) infra.Store {
		s, err := infra.NewLocalStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPrefixStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) infra.Store {
		s, err := infra.NewLocalStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return infra.WithPrefix(s, "runs/r1")
	})
}
