package dedup

import (
	"context"
	"fmt"
	"slices"
	"unsafe"

	"github.com/cespare/xxhash/v2"
	"golang.org/x/sync/errgroup"
)

// Plan in spill mode: the same steps as in memory, in the same order of
// rows within every block, so the plan is identical. What stays on the
// heap for the whole plan is 8 bytes a row (parent, best) plus 4 (loc)
// while blocking, 12 (constraints) while linking and 21 (results, completeness) from linking
// on; entries are bounded by PairsPerPass (two partitions with more than
// one PlanWorkers) and fetched recs by PairsPerPass/4 (two tables with
// more than one).

// exactEntry is a blocking entry of the exact pass with the constraint of
// its row, so that the exact pass needs no rec.
type exactEntry struct {
	key   uint64
	pnr   uint64
	idx   uint32
	birth uint32
}

func exactBytes(e *exactEntry) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(e)), unsafe.Sizeof(*e))
}

// startSpill moves the state observed so far to spill files; from now on
// Observe appends to them.
func (d *Deduper) startSpill() error {
	sp, err := newSpill(d.cfg.SpillDir)
	if err != nil {
		return err
	}
	for i := uint32(0); i < uint32(d.recs.n); i++ {
		r := d.recs.at(i)
		var names []byte
		if nl := int(r.flen) + int(r.llen); nl > 0 {
			names = d.names.get(r.name, nl)
		}
		if err := sp.add(r, names); err != nil {
			sp.remove() //nolint:errcheck // the write error is the one to report
			return err
		}
	}
	d.sp = sp
	d.recs, d.names = recs{}, arena{}
	return nil
}

// Close removes the spill files of a Deduper whose Plan was not called
// (Plan removes them itself). It is safe to call more than once and in
// memory mode, where it does nothing.
func (d *Deduper) Close() error {
	if d.sp == nil {
		return nil
	}
	sp := d.sp
	d.sp = nil
	return sp.remove()
}

func (d *Deduper) planSpill(ctx context.Context) (err error) {
	defer func() {
		d.tab, d.loc, d.cpnr, d.cbirth = nil, nil, nil, nil
		d.parent, d.best, d.cons, d.edges = nil, nil, nil, nil
		if cerr := d.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			d.res, d.byLine = nil, nil
		}
	}()
	sp := d.sp
	if err := sp.flush(); err != nil {
		return err
	}
	n := sp.n
	d.thr = d.cfg.Threshold
	d.wthr = weightFor(d.thr) - 1e-9
	d.parent = make([]uint32, n)
	for i := range d.parent {
		d.parent[i] = uint32(i)
	}
	d.best = make([]float32, n)
	d.cons = make(map[uint32]constraint)

	// One pass over the recs writes every blocking entry to its bucket.
	exactParts := int(d.parts(uint64(n)))
	exact, err := sp.newBuckets("exact", exactParts, int(unsafe.Sizeof(exactEntry{})))
	if err != nil {
		return err
	}
	var kinds [numKinds]*bucketSet
	for k := range kinds {
		if d.external {
			break // no blocking here: the pairs come from Matchers
		}
		if kinds[k], err = sp.newBuckets("kind"+string(rune('0'+k)), int(d.kindParts(kind(k), n)), pairDisk); err != nil {
			return err
		}
	}
	var keys [2]uint64
	// One entry of each shape, reused: bucketSet.add copies the bytes (an
	// entry per row taken by address would be a heap allocation per row).
	e := new(exactEntry)
	eb, pb := exactBytes(e), make([]byte, pairDisk)
	err = sp.each(func(i uint32, r *rec, _ []byte) error {
		if r.exact != 0 {
			*e = exactEntry{key: r.exact, pnr: r.pnr, idx: i, birth: r.birth}
			if err := exact.add(int((r.exact>>32)%uint64(exactParts)), eb); err != nil {
				return err
			}
		}
		for k, b := range kinds {
			if b == nil {
				continue
			}
			parts := uint64(len(b.files))
			for _, key := range kind(k).keys(keys[:0], r) {
				putPair(pb, key, i)
				if err := b.add(int((key>>32)%parts), pb); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := exact.flush(); err != nil {
		return err
	}
	for _, b := range kinds {
		if b == nil {
			continue
		}
		if err := b.flush(); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("dedup plan: %w", err)
	}

	notRep := make([]uint64, (n+63)/64)
	if err := d.spillExact(ctx, exact, notRep); err != nil {
		return err
	}
	d.flatten()
	d.loc = make([]uint32, n) // the producer's only: jobs get places in pair.sub
	if !d.external {
		pool := d.startPool(ctx, true, nil, 0)
		var tmp []pair
		for k := 0; k < len(kinds) && err == nil; k++ {
			err = d.spillKind(ctx, pool, kind(k), kinds[k], notRep, &tmp)
		}
		if werr := pool.wait(); err == nil {
			err = werr
		}
		if err != nil {
			return err
		}
	}
	d.loc, notRep = nil, nil

	// Constraints of every row for linking; lines and completeness for
	// survivorship.
	d.cpnr, d.cbirth = make([]uint64, n), make([]uint32, n)
	d.res = make([]result, n)
	complete := make([]uint8, n)
	err = sp.each(func(i uint32, r *rec, _ []byte) error {
		d.cpnr[i], d.cbirth[i] = r.pnr, r.birth
		d.res[i].line = r.line
		complete[i] = r.complete
		return nil
	})
	if err != nil {
		return err
	}
	if d.external {
		if err := d.externalEdges(n, func(i uint32) uint32 { return d.res[i].line }); err != nil {
			return err
		}
	}
	d.link()
	d.cpnr, d.cbirth = nil, nil
	return d.spillFinish(ctx, complete)
}

// kindParts is the number of partitions of kind k, as in planKind.
func (d *Deduper) kindParts(k kind, n uint32) uint64 {
	perRow := uint64(1)
	if k == kindPhone || k == kindAddrName {
		perRow = 2
	}
	return d.parts(uint64(n) * perRow)
}

// spillExact is planExact over the exact buckets.
func (d *Deduper) spillExact(ctx context.Context, b *bucketSet, notRep []uint64) error {
	var es []exactEntry
	var p, tmp []pair
	for part := range b.files {
		es = slices.Grow(es[:0], b.count[part])[:b.count[part]]
		if len(es) > 0 {
			if err := b.load(part, unsafe.Slice((*byte)(unsafe.Pointer(&es[0])), len(es)*b.size)); err != nil {
				return err
			}
		}
		p = slices.Grow(p[:0], len(es))
		for k := range es {
			p = append(p, pair{key: es[k].key, idx: es[k].idx, sub: uint32(k)})
		}
		p, tmp = grow(p, tmp)
		radixSortHashed(p, tmp)
		for s := 0; s < len(p); {
			e := s + 1
			if e < len(p) && p[e].key == p[s].key {
				a := p[s].idx
				first := &es[p[s].sub]
				own := constraint{pnr: first.pnr, birth: first.birth}
				c := own
				for ; e < len(p) && p[e].key == p[s].key; e++ {
					x := p[e].idx
					d.parent[x] = a
					d.best[x] = 1
					notRep[x/64] |= 1 << (x % 64)
					o := &es[p[e].sub]
					c = merge(c, constraint{pnr: o.pnr, birth: o.birth})
				}
				if c != own {
					d.cons[a] = c
				}
			}
			s = e
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("dedup plan: %w", err)
		}
	}
	return nil
}

// spillKind is planKind over the buckets of kind k: per partition, the
// entries of rows that are not exact copies are sorted and their blocks
// handed to the pool, in jobs whose rows fit in a table of PairsPerPass/4
// recs (one block may pass it); each job fetches its recs. Two goroutines
// share the work: one loads and sorts the next partition while the other
// fetches the recs of the last one's blocks and hands out its jobs (with
// one PlanWorkers the pool has one buffer, and they take turns).
func (d *Deduper) spillKind(ctx context.Context, pool *planPool, k kind, b *bucketSet, notRep []uint64, tmp *[]pair) error {
	limit := max(2, d.cfg.PairsPerPass/4)
	sorted := make(chan *planBuf)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(sorted)
		for part := range b.files {
			buf, err := pool.bufferFor(gctx)
			if err != nil {
				return err
			}
			if err := d.sortPart(b, part, buf, notRep, tmp); err != nil {
				pool.release(buf)
				return err
			}
			select {
			case sorted <- buf:
			case <-gctx.Done():
				pool.release(buf)
				return fmt.Errorf("dedup plan: %w", context.Cause(gctx))
			}
		}
		return nil
	})
	g.Go(func() error {
		for buf := range sorted {
			if err := pool.dispatchSpill(k, buf, limit); err != nil {
				for buf := range sorted {
					pool.release(buf)
				}
				return err
			}
			if err := gctx.Err(); err != nil {
				return fmt.Errorf("dedup plan: %w", err)
			}
		}
		return nil
	})
	return g.Wait()
}

// sortPart loads partition part of b into buf, drops the entries of
// exact copies and sorts the rest by key (stably: rows in file order).
func (d *Deduper) sortPart(b *bucketSet, part int, buf *planBuf, notRep []uint64, tmp *[]pair) error {
	p := slices.Grow(buf.pairs[:0], b.count[part])[:b.count[part]]
	if len(p) > 0 {
		if err := b.loadPairs(part, p); err != nil {
			return err
		}
	}
	w := 0
	for _, x := range p {
		if notRep[x.idx/64]&(1<<(x.idx%64)) == 0 {
			p[w] = x
			w++
		}
	}
	p = p[:w]
	p, *tmp = grow(p, *tmp)
	radixSortHashed(p, *tmp)
	buf.pairs = p
	return nil
}

// spillFinish is finish over the spill: survivors from completeness and
// lines, scores of near duplicates from fetched recs in chunks, household
// keys from one more pass, grouped by partition.
func (d *Deduper) spillFinish(ctx context.Context, complete []uint8) error {
	n := uint32(len(d.res))
	surv := make([]uint32, n)
	for i := uint32(0); i < n; i++ {
		surv[i] = i
	}
	for i := uint32(0); i < n; i++ {
		root := d.find(i)
		if root == i {
			continue
		}
		s := surv[root]
		if complete[i] > complete[s] || complete[i] == complete[s] && d.res[i].line < d.res[s].line {
			surv[root] = i
		}
	}
	complete = nil

	// Duplicates, in chunks of rows whose recs and survivors' recs fit
	// in one table.
	chunk := max(1, d.cfg.PairsPerPass/8)
	var dups []uint32 // duplicate rows of the chunk
	t := &table{}
	d.loc = make([]uint32, n)
	flush := func() error {
		t.mem = t.mem[:0]
		for _, i := range dups {
			t.mem = append(t.mem, i, surv[d.find(i)])
		}
		slices.Sort(t.mem)
		t.mem = slices.Compact(t.mem)
		if err := d.sp.fetch(t, d.loc); err != nil {
			return err
		}
		d.tab, d.names = t, t.names
		for _, i := range dups {
			d.markDuplicate(i, d.rec(i), d.rec(surv[d.find(i)]))
		}
		d.tab, d.names = nil, arena{}
		dups = dups[:0]
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("dedup plan: %w", err)
		}
		return nil
	}
	for i := uint32(0); i < n; i++ {
		if surv[d.find(i)] == i {
			continue
		}
		if dups = append(dups, i); len(dups) == chunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	d.loc, dups, t = nil, nil, nil

	// Households: one pass writes the keys of survivors to buckets.
	parts := int(d.parts(uint64(n)))
	hb, err := d.sp.newBuckets("household", parts, pairDisk)
	if err != nil {
		return err
	}
	hpb := make([]byte, pairDisk) // reused: add copies it
	err = d.sp.each(func(i uint32, r *rec, names []byte) error {
		if surv[d.find(i)] != i {
			return nil
		}
		d.stats.Persons++
		if r.addr == 0 || r.llen == 0 {
			return nil
		}
		key := mix(mix(r.addr, uint64(r.apt)), xxhash.Sum64(names[r.flen:]))
		putPair(hpb, key, i)
		return hb.add(int((key>>32)%uint64(parts)), hpb)
	})
	if err != nil {
		return err
	}
	if err := hb.flush(); err != nil {
		return err
	}
	var hh, tmp []pair
	for part := range hb.files {
		hh = slices.Grow(hh[:0], hb.count[part])[:hb.count[part]]
		if len(hh) > 0 {
			if err := hb.loadPairs(part, hh); err != nil {
				return err
			}
		}
		d.households(hh, &tmp)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("dedup plan: %w", err)
	}
	d.finishTail(surv)
	return nil
}
