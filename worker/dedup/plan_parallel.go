package dedup

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Parallel comparing. After the exact pass the clusters (parent) do not
// change until link, so parent is flattened once and compare reads it
// without writing. Plan's goroutine (the producer) builds and sorts the
// blocking entries of one partition after another; jobs, ranges of whole
// blocks of a sorted partition, go to PlanWorkers comparers, each with its
// own edges and counters. In spill mode the producer also fetches the recs
// of a group of blocks into a table that the group's jobs share (two
// tables: one fetched while the other is compared). Comparing a pair
// depends on the two recs and parent only, so the same pairs are compared
// and the same edges found whatever the order; link sorts the edges of
// each comparer and merges them (a total order: equal edges are the same
// pair with the same score), so the plan is identical with any number of
// workers.

// jobPairs is about how many blocking entries a memory-mode job holds.
const jobPairs = 1 << 14

// planJob is a range of whole blocks of kind k, inside buf; in spill mode
// tab holds the recs of their rows and each entry's sub is its place there.
type planJob struct {
	k   kind
	p   []pair
	buf *planBuf
	tab *tabBuf
}

// tabBuf holds a table of fetched recs while jobs in it run.
type tabBuf struct {
	t    table
	refs atomic.Int32
}

// planBuf holds the sorted entries of one partition while jobs in it run.
type planBuf struct {
	pairs []pair
	refs  atomic.Int32
}

// comparer is the state of one goroutine comparing blocks.
type comparer struct {
	d     *Deduper
	tab   *table // spill mode: the recs of the job; pair.sub is the place in tab.tab
	names *arena
	edges []edge
	win   []pair // an oversized block in name order
	comparisons,
	oversized int64
}

// planPool runs the comparers. With one worker the producer runs each job
// itself and there is one buffer, as a serial plan.
type planPool struct {
	d     *Deduper
	outer context.Context // Plan's
	ctx   context.Context // the workers', cancelled when one fails
	g     *errgroup.Group
	jobs  chan planJob
	free  chan *planBuf
	tabs  chan *tabBuf // spill mode
	cs    []*comparer
	inner bool // one worker: jobs run on the producer
}

// planWorkers is the number of comparing goroutines.
func (d *Deduper) planWorkers() int {
	if d.cfg.PlanWorkers > 0 {
		return d.cfg.PlanWorkers
	}
	return max(1, runtime.GOMAXPROCS(0))
}

// flatten points every row at its root: compare then tests parent[i] ==
// parent[j] and never writes parent.
func (d *Deduper) flatten() {
	for i := range d.parent {
		d.parent[i] = d.find(uint32(i))
	}
}

// startPool starts the comparers; first is the first buffer, per the
// capacity the second one starts with.
func (d *Deduper) startPool(ctx context.Context, spill bool, first []pair, per int) *planPool {
	w := d.planWorkers()
	pp := &planPool{d: d, outer: ctx, inner: w == 1}
	bufs := 2 // one sorted while the other is compared
	if pp.inner {
		bufs = 1
	}
	pp.free = make(chan *planBuf, bufs)
	pp.free <- &planBuf{pairs: first[:0]}
	for range bufs - 1 {
		pp.free <- &planBuf{pairs: make([]pair, 0, per)}
	}
	if spill {
		pp.tabs = make(chan *tabBuf, bufs)
		for range bufs {
			pp.tabs <- &tabBuf{}
		}
	}
	pp.cs = make([]*comparer, w)
	for i := range pp.cs {
		pp.cs[i] = &comparer{d: d}
	}
	if pp.inner {
		pp.ctx = ctx
		return pp
	}
	pp.g, pp.ctx = errgroup.WithContext(ctx)
	pp.jobs = make(chan planJob, 2*w)
	for _, c := range pp.cs {
		pp.g.Go(func() error {
			for j := range pp.jobs {
				if err := c.run(pp.ctx, j); err != nil {
					return err
				}
				pp.done(j)
			}
			return nil
		})
	}
	return pp
}

// buffer returns a free buffer, waiting for the jobs in it to end.
func (pp *planPool) buffer() (*planBuf, error) { return pp.bufferFor(pp.ctx) }

// bufferFor is buffer for a producer that also stops with ctx.
func (pp *planPool) bufferFor(ctx context.Context) (*planBuf, error) {
	select {
	case b := <-pp.free:
		b.refs.Store(1) // the producer's
		return b, nil
	case <-pp.ctx.Done():
		return nil, fmt.Errorf("dedup plan: %w", context.Cause(pp.ctx))
	case <-ctx.Done():
		return nil, fmt.Errorf("dedup plan: %w", context.Cause(ctx))
	}
}

// table returns a free table, waiting for the jobs in it to end.
func (pp *planPool) table() (*tabBuf, error) {
	select {
	case t := <-pp.tabs:
		t.refs.Store(1) // the producer's
		return t, nil
	case <-pp.ctx.Done():
		return nil, fmt.Errorf("dedup plan: %w", context.Cause(pp.ctx))
	}
}

// release drops one reference to b; the last returns it to the pool.
func (pp *planPool) release(b *planBuf) {
	if b.refs.Add(-1) == 0 {
		pp.free <- b
	}
}

// releaseTable drops one reference to t; the last returns it to the pool.
func (pp *planPool) releaseTable(t *tabBuf) {
	if t.refs.Add(-1) == 0 {
		pp.tabs <- t
	}
}

// done drops the references of a finished job.
func (pp *planPool) done(j planJob) {
	pp.release(j.buf)
	if j.tab != nil {
		pp.releaseTable(j.tab)
	}
}

// send runs job j (one worker) or queues it.
func (pp *planPool) send(j planJob) error {
	j.buf.refs.Add(1)
	if j.tab != nil {
		j.tab.refs.Add(1)
	}
	if pp.inner {
		if err := pp.cs[0].run(pp.ctx, j); err != nil {
			return err
		}
		pp.done(j)
		return nil
	}
	select {
	case pp.jobs <- j:
		return nil
	case <-pp.ctx.Done():
		return fmt.Errorf("dedup plan: %w", context.Cause(pp.ctx))
	}
}

// wait ends the pool: it waits for the jobs, then gathers the edges and
// counts of every comparer into d.
func (pp *planPool) wait() error {
	if !pp.inner {
		close(pp.jobs)
		if err := pp.g.Wait(); err != nil {
			return err
		}
	}
	if err := pp.outer.Err(); err != nil {
		return fmt.Errorf("dedup plan: %w", err)
	}
	d := pp.d
	for _, c := range pp.cs {
		if len(c.edges) > 0 {
			d.edges = append(d.edges, c.edges)
		}
		d.stats.Comparisons += c.comparisons
		d.stats.OversizedBlocks += c.oversized
		c.edges = nil
	}
	return nil
}

// dispatchMemory sends the blocks of the sorted partition in b as jobs of
// about jobPairs entries, then drops the producer's reference.
func (pp *planPool) dispatchMemory(k kind, b *planBuf) error {
	err := pp.sendBlocks(k, b.pairs, b, nil)
	pp.release(b)
	return err
}

// sendBlocks sends the sorted entries p (whole blocks) as jobs of about
// jobPairs entries.
func (pp *planPool) sendBlocks(k kind, p []pair, b *planBuf, t *tabBuf) error {
	for s := 0; s < len(p); {
		e := min(s+jobPairs, len(p))
		for e < len(p) && p[e].key == p[e-1].key {
			e++
		}
		if err := pp.send(planJob{k: k, p: p[s:e], buf: b, tab: t}); err != nil {
			return err
		}
		s = e
	}
	return nil
}

// dispatchSpill splits the blocks of the sorted partition in b into
// groups whose rows in blocks of two or more fit in a table of limit recs
// (one block may pass it). For each group it fetches the recs into a
// table, sets each entry's sub to the place of its rec there, and sends
// the group's blocks as jobs. Then it drops the producer's reference.
func (pp *planPool) dispatchSpill(k kind, b *planBuf, limit int) error {
	p := b.pairs
	start, members := 0, 0
	for s := 0; s < len(p); {
		e := s + 1
		for e < len(p) && p[e].key == p[s].key {
			e++
		}
		if e-s > 1 {
			members += e - s
			if members >= limit {
				if err := pp.sendGroup(k, p[start:e], b); err != nil {
					return err
				}
				start, members = e, 0
			}
		}
		s = e
	}
	var err error
	if members > 0 {
		err = pp.sendGroup(k, p[start:], b)
	}
	pp.release(b)
	return err
}

// sendGroup fetches the recs of the blocks in p and sends them as jobs.
func (pp *planPool) sendGroup(k kind, p []pair, b *planBuf) error {
	tb, err := pp.table()
	if err != nil {
		return err
	}
	t := &tb.t
	t.mem = t.mem[:0]
	eachBlock(p, func(b []pair) {
		for _, x := range b {
			t.mem = append(t.mem, x.idx)
		}
	})
	slices.Sort(t.mem)
	t.mem = slices.Compact(t.mem)
	loc := pp.d.loc
	if err := pp.d.sp.fetch(t, loc); err != nil {
		pp.releaseTable(tb)
		return err
	}
	eachBlock(p, func(b []pair) {
		for i := range b {
			b[i].sub = loc[b[i].idx]
		}
	})
	err = pp.sendBlocks(k, p, b, tb)
	pp.releaseTable(tb)
	return err
}

// run compares the blocks of job j.
func (c *comparer) run(ctx context.Context, j planJob) error {
	c.tab, c.names = nil, &c.d.names
	if j.tab != nil {
		c.tab, c.names = &j.tab.t, &j.tab.t.names
	}
	eachBlock(j.p, func(b []pair) { c.block(j.k, b) })
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("dedup plan: %w", err)
	}
	return nil
}

// eachBlock calls fn for every block of two or more entries in sorted p.
func eachBlock(p []pair, fn func(b []pair)) {
	for s := 0; s < len(p); {
		e := s + 1
		for e < len(p) && p[e].key == p[s].key {
			e++
		}
		if e-s > 1 {
			fn(p[s:e])
		}
		s = e
	}
}

// rec is the rec of entry x: in memory by row, or in the fetched table.
func (c *comparer) rec(x pair) *rec {
	if c.tab != nil {
		return &c.tab.tab[x.sub]
	}
	return c.d.recs.at(x.idx)
}

// block compares the rows of one block: all pairs when it is small, else
// each row with its Window successors in name order (then row order).
func (c *comparer) block(k kind, b []pair) {
	cfg := &c.d.cfg
	if len(b) <= cfg.BlockCap {
		for i := range b {
			for j := i + 1; j < len(b); j++ {
				c.compare(k, b[i], b[j])
			}
		}
		return
	}
	c.oversized++
	w := c.win[:0]
	for _, x := range b {
		r := c.rec(x)
		w = append(w, pair{key: uint64(r.plast^r.pfirst)<<32 | uint64(x.idx), idx: x.idx, sub: x.sub})
	}
	slices.SortFunc(w, func(x, y pair) int { return cmp.Compare(x.key, y.key) })
	for i := range w {
		for j := i + 1; j < len(w) && j <= i+cfg.Window; j++ {
			c.compare(k, w[i], w[j])
		}
	}
	c.win = w
}

// compare scores the rows of entries x and y, found in a block of kind k,
// and keeps the pair as an edge when it matches. A pair that shares a key
// of an earlier kind was scored there already; exact copies were joined
// before blocking (parent is flat; nil in a Matcher, whose blocks hold
// no two copies).
func (c *comparer) compare(k kind, x, y pair) {
	i, j := x.idx, y.idx
	a, b := c.rec(x), c.rec(y)
	if sharedEarlier(k, a, b) || c.d.parent != nil && c.d.parent[i] == c.d.parent[j] {
		return
	}
	c.comparisons++
	s, ok := score(c.names, a, b, c.d.wthr)
	if !ok || s < c.d.thr {
		return
	}
	c.edges = append(c.edges, edge{i: i, j: j, score: float32(s)})
}
