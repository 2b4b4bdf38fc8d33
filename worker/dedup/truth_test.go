package dedup

import (
	"testing"

	"github.com/listwash/listwash/formats"
)

type quality struct {
	exactRecall, nearRecall      float64
	nearPrecision, pairPrecision float64
	falseLinks                   int
}

// measure runs the deduper on a copy of g's rows and compares with truth.
func measure(t testing.TB, g *generator, thr float64) quality {
	rows := make([]formats.Row, len(g.rows))
	copy(rows, g.rows)
	run(t, Config{Threshold: thr}, rows)
	idx := make(map[int64]int, len(rows))
	for i, r := range rows {
		idx[r.SourceLine] = i
	}
	var q quality
	var exact, exactOK, near, nearOK, nearMarked, nearRight int
	cluster := map[int]map[int]int{} // survivor row -> person -> rows
	for i, r := range rows {
		tr := g.truth[i]
		surv := i
		if r.DuplicateOf != 0 {
			surv = idx[r.DuplicateOf]
		}
		if cluster[surv] == nil {
			cluster[surv] = map[int]int{}
		}
		cluster[surv][tr.person]++
		switch tr.kind {
		case genExact:
			exact++
			if r.DuplicateOf == rows[tr.base].SourceLine && r.HasReason(ReasonDuplicate) {
				exactOK++
			}
		case genTypo, genSwap, genReformat:
			near++
			if r.DuplicateOf == rows[tr.base].SourceLine {
				nearOK++
			}
		}
		if r.HasReason(ReasonNearDuplicate) {
			nearMarked++
			if g.truth[surv].person == tr.person {
				nearRight++
			} else {
				q.falseLinks++
			}
		}
	}
	var pairs, truePairs int
	for _, persons := range cluster {
		n := 0
		for _, k := range persons {
			n += k
			truePairs += k * (k - 1) / 2
		}
		pairs += n * (n - 1) / 2
	}
	q.exactRecall = float64(exactOK) / float64(exact)
	q.nearRecall = float64(nearOK) / float64(near)
	q.nearPrecision = float64(nearRight) / float64(max(nearMarked, 1))
	q.pairPrecision = float64(truePairs) / float64(max(pairs, 1))
	return q
}

func TestGroundTruth(t *testing.T) {
	g := newGenerator(1)
	g.generate(20000)
	counts := map[int]int{}
	for _, tr := range g.truth {
		counts[tr.kind]++
	}
	t.Logf("%d rows: base %d exact %d typo %d swap %d reformat %d twin %d parent %d housemate %d",
		len(g.rows), counts[genBase], counts[genExact], counts[genTypo], counts[genSwap],
		counts[genReformat], counts[genTwin], counts[genParent], counts[genHousemate])
	for _, thr := range []float64{0.6, 0.7, 0.8, 0.85, 0.9, 0.95} {
		q := measure(t, g, thr)
		t.Logf("threshold %.2f: exact recall %.4f near recall %.4f near precision %.4f pair precision %.4f (false links %d)",
			thr, q.exactRecall, q.nearRecall, q.nearPrecision, q.pairPrecision, q.falseLinks)
		if thr != DefaultThreshold {
			continue
		}
		if q.exactRecall != 1 {
			t.Errorf("exact recall %.4f, want 1", q.exactRecall)
		}
		if q.nearRecall < 0.95 {
			t.Errorf("near recall %.4f, want >= 0.95", q.nearRecall)
		}
		if q.pairPrecision < 0.995 || q.nearPrecision < 0.995 {
			t.Errorf("precision pair %.4f near %.4f, want >= 0.995", q.pairPrecision, q.nearPrecision)
		}
	}
}
