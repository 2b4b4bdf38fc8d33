// Package dedup finds duplicate persons in a delivery (exact copies and
// near duplicates: typos, swapped names, reformatted phones or addresses)
// and, through a persistent contact index, persons bought before from the
// same or another supplier.
//
// # Within a delivery
//
// Observe keeps an 80-byte rec per non-rejected row (64-bit xxhash keys of
// personnummer, two phones, e-mail, address; postal code, birth date,
// apartment; phonetic name codes; an offset into a chunked arena of folded
// names) plus about 16 bytes of names: ~98 bytes per row, measured. No map
// is keyed by row; storage grows in chunks, so there is no 2x copy peak.
//
// Plan:
//  1. Exact duplicates: rows whose normalised record (names, street,
//     apartment, c/o, postal code, city, country, e-mail, personnummer and
//     every phone, byte for byte as the normaliser wrote them) hashes alike
//     are joined; later copies are left out of blocking.
//  2. Blocking: for each kind of key (personnummer; e-mail; phone; address +
//     phonetic first or last name, so swapped names meet; phonetic names +
//     birth date; phonetic names + postal code) the (key, row) pairs are
//     radix-sorted (LSD, stable, no comparisons) and rows sharing a key are
//     compared. A block larger than BlockCap (a switchboard number) is
//     compared by a window of Window rows over name order: O(n·w), never
//     O(n²). Pairs are sorted in passes of at most PairsPerPass entries,
//     partitioned by key, which bounds the transient memory (2 × 16 bytes
//     an entry; 3 × with more than one PlanWorkers, since the next
//     partition is sorted while the last is compared). Comparing runs on
//     PlanWorkers goroutines (default GOMAXPROCS; plan_parallel.go): the
//     clusters of step 1 are flattened, so a comparison only reads shared
//     state, and each goroutine takes ranges of whole blocks and keeps its
//     own matched pairs and counts, gathered before linking.
//  3. Scoring: Fellegi-Sunter-style weights (see score.go) summed and
//     mapped to 0..1. Two different valid personnummer or birth dates veto.
//  4. Linking: candidate pairs at or above the threshold are joined best
//     first with union-find; a cluster never holds two personnummer or two
//     birth dates.
//  5. Survivorship: in each cluster the most complete row (count of valid
//     identifiers and filled fields) survives, then the earliest line.
//     Others get DuplicateOf (survivor's line), MatchScore and the reason
//     DUPLICATE (same exact key as the survivor) or NEAR_DUPLICATE.
//  6. Households: persons (survivors) with the same address, apartment and
//     folded surname share HouseholdID = the smallest of their lines;
//     duplicates inherit their survivor's. A person alone has 0.
//
// Every step runs in row order with stable sorts and ties broken by row,
// and rows are observed in file order, so the same delivery gives the same
// plan whatever the batch sizes and number of workers of the second pass,
// and whatever PlanWorkers: the same pairs are compared and linking sorts
// the matched pairs into one total order (spill_test.go checks it).
// After Plan the comparison state is dropped; 16 bytes per row of results
// remain for Apply, found by source line (binary search once per batch).
//
// # Spilling
//
// Above Config.SpillRows observed rows (default 2M, about 200 MB of heap
// state) Observe moves the recs to a temporary directory in SpillDir and
// appends each further rec (80 bytes) and its folded names there, through
// buffered writes; the heap keeps an 8-byte names offset per 4096 rows.
// Plan then works through the files (plan_spill.go) with the same steps:
// one sequential pass writes every blocking entry to a bucket file per
// kind and partition (the partitions of the in-memory plan); the exact
// buckets carry each row's personnummer and birth date so the exact pass
// needs no rec; for each kind partition the entries of non-copies are
// radix-sorted, the recs of rows in blocks of two or more are fetched
// (only the 4096-row chunks that hold one are read) into a table for a
// group of blocks of up to PairsPerPass/4 rows, and the blocks compared as
// in memory (the next group is fetched while one is compared). Linking
// reads the constraints of every row (12 B a row, only while linking);
// survivorship uses completeness and lines (5 B a row); near duplicates'
// scores fetch their recs in chunks of PairsPerPass/8 rows; households
// are grouped per partition. Since every block holds the same rows in the
// same order, the plan is identical to the in-memory one (spill_test.go
// checks every row and the stats). The heap holds 8 B a row for the whole
// plan (union-find, best score), 4 B more while blocking, the 16-B results
// from linking on, and PairsPerPass-bounded entries and fetched recs
// (twice that with more than one PlanWorkers). The directory is removed
// when Plan returns, or by Close if Plan is never called. Figures at 10M
// rows are in docs/dedup.md.
//
// # Partitioned matching
//
// A distributed run can compare on many machines: SplitEncoded, Matcher
// and AddMatches (match.go) split the comparisons by blocking key and
// give the merge's Deduper the matched pairs, with the same plan.
//
// # Across deliveries
//
// See Index (index.go): append-only segments of HMAC-keyed hashes, one per
// committed run, merged at open.
package dedup
