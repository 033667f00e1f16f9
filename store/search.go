package store

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"roster"
)

// A list's search (q) matches the clients whose name key or email key
// contains the search's key (roster.NewSearchKey): a LIKE '%…%' of each,
// its wildcards escaped. Migration 8 indexes the keys' trigrams — FTS5's
// trigram tokenizer on SQLite, pg_trgm's GIN indexes on PostgreSQL — so
// that a search finds its few matches without reading every client of the
// organization. The index only narrows: the LIKE is still checked on each
// client it returns, so what matches is exactly what the LIKE says, on
// each engine as before (SQLite's LIKE ignores the case of ASCII letters,
// which only set-aside keys such as "TWIN:…" hold).
//
// A key of fewer than three characters holds no trigram. Such a search
// walks the list's own index in its order and checks each client, as every
// search did before: a page stops as soon as it is full, which is soon
// when the characters are common, and the count reads the organization's
// active (or deactivated) clients once.

// searchWay is how a query finds the clients its search matches.
type searchWay int

const (
	// searchWalk checks the LIKE on each client along the index the list
	// walks in its order: cheap when matches are dense, since a page is
	// full after a few clients.
	searchWalk searchWay = iota
	// searchIndexed looks the key's trigrams up first and checks the LIKE
	// on the clients found only: its cost grows with the matches, not with
	// the organization.
	searchIndexed
)

// minIndexedKey is the fewest characters a key has for the trigram index
// to find it.
const minIndexedKey = 3

// searchIndexedMost is the most matches that a page or a stream reads
// through the index, all of them, sorting them in the list's order. Beyond,
// the matches are dense enough that walking the list's order finds a page
// sooner (unless the page lies deep among them, see pageWay). It bounds a
// page's cost whatever the order of its matches: on SQLite at 100,000
// clients, a page of 10,000 matches with its count took 32 ms through the
// index, and 69 ms walking when the matches lay together halfway along
// the order (console's BenchmarkPages/broad_search), where walking reads
// every client before them. A variable for the tests.
var searchIndexedMost int64 = 10_000

// searchCountMost is roster.SearchCountMost, a variable for the tests.
var searchCountMost int64 = roster.SearchCountMost

// searchCountBound is how many matches of q's search its count reads at
// most, for a page reaching reach matches into them; 0 when q has no search
// (an email finds one client at most). It reads one match more than it
// reports, to tell whether more match, and at least 16 × reach: a count
// that reads all the bound tells that walking the list's order to the page
// reads about a sixteenth of the list at most, if the matches are spread
// along it (see stoppedWay).
func searchCountBound(q roster.ClientQuery, reach int) int64 {
	if q.Search == "" || q.Email != "" {
		return 0
	}
	return max(searchCountMost, int64(reach)*16) + 1
}

// indexable reports whether q's search can be found through the trigram
// index. A search beside an email is not: the email's index finds the one
// client it can match.
func indexable(q roster.ClientQuery) bool {
	if q.Search == "" || q.Email != "" {
		return false
	}
	k := roster.NewSearchKey(q.Search)
	return utf8.RuneCountInString(k.Name) >= minIndexedKey && utf8.RuneCountInString(k.Email) >= minIndexedKey
}

// The ways differ on SQLite only: on PostgreSQL the SQL of a search is the
// same either way, and the planner picks (see searchCond).

// countWay is how the matches of q are counted, up to bound
// (searchCountBound), and, on SQLite, how many clients the index finds for
// it, in every organization, up to the most it read. Through the index,
// SQLite reaches each client the index finds by rowid, which costs about
// four times what checking a client along the list's index does (5.5 µs
// and 1.5 µs measured); so when the index finds more clients than a
// quarter of the list (and than bound), the count walks the list instead.
// Matches spread evenly among many clients are counted walking before
// this (denseCount), for the active list without filters and a page near
// the start; what else comes here may be a cluster of them among older
// clients, which walking would reach late.
func (s *Store) countWay(ctx context.Context, org roster.OrgID, q roster.ClientQuery, bound int64) (searchWay, int64, error) {
	if !indexable(q) {
		return searchWalk, 0, nil
	}
	if s.postgres {
		return searchIndexed, 0, nil // the same SQL
	}
	size, args := listSize(org, q.Deactivated)
	var n int64
	if err := s.queryRow(ctx, size, args...).Scan(&n); err != nil {
		return searchWalk, 0, err
	}
	return s.indexFindsAtMost(ctx, q, max(bound, n/4))
}

// pageWay is how a page of a search that the index counted is read, when
// it matches that many clients and the page ends reach matches into them.
// Walking the order reads about reach × (clients ÷ matches) clients; the
// index reads every match and sorts them. The index is chosen for few
// matches, and for a page more than a sixteenth deep into them, where
// walking would read a large part of the organization. (A search that the
// count walked for is paged walking too: the index finds too many clients,
// in other organizations maybe.)
func pageWay(matches int64, reach int) searchWay {
	if matches <= searchIndexedMost || int64(reach)*16 > matches {
		return searchIndexed
	}
	return searchWalk
}

// streamWay is how a stream of every match of q is read: through the index
// when it finds few clients; otherwise each chunk would read them all
// again.
func (s *Store) streamWay(ctx context.Context, q roster.ClientQuery) (searchWay, error) {
	if s.postgres || !indexable(q) {
		return searchWalk, nil
	}
	way, _, err := s.indexFindsAtMost(ctx, q, searchIndexedMost)
	return way, err
}

// indexFindsAtMost returns searchIndexed when SQLite's index finds at most
// most clients for q's search, in every organization, and searchWalk
// otherwise, with how many it found: it reads most + 1 of them at most.
func (s *Store) indexFindsAtMost(ctx context.Context, q roster.ClientQuery, most int64) (searchWay, int64, error) {
	var n int64
	err := s.queryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM client_search WHERE client_search MATCH $1 LIMIT $2) AS hits`,
		ftsQuery(roster.NewSearchKey(q.Search)), most+1).Scan(&n)
	if err != nil || n > most {
		return searchWalk, n, err
	}
	return searchIndexed, n, nil
}

// stoppedWay is how a page reaching reach clients deep is read, of a
// search whose count stopped at its bound, found the way given: more
// clients match than the count read, so that pageWay cannot tell. Walking
// the list's order is quick when the matches are spread along it, and may
// otherwise read most of the list before it reaches them (a cluster of
// them among older clients). So on SQLite, whose index found hits, the page
// reads them through the index when they are at most searchIndexedMost: a
// bounded cost. Otherwise the sample of the organization's newest active
// clients, sampled of denseSample of which matched, tells: the page walks
// when at least two matched and, at their density, the walk would check
// at most 32 × (SearchCountMost + 1) clients, or when the count walked; on
// PostgreSQL it reads the matches through the index else. (At 1,000,000
// clients a first page of 9,264 matches among older clients took 30 ms
// through the index and 280 ms walking; one of 5,208 spread matches 50 ms
// through the index and 10 ms walking.)
func (s *Store) stoppedWay(way searchWay, sampled int64, reach int, hits int64) searchWay {
	switch {
	case way == searchWalk:
		return searchWalk
	case !s.postgres && hits <= searchIndexedMost:
		return searchIndexed
	case !s.postgres:
		return searchWalk
	case sampled > 1 && int64(reach)*denseSample <= sampled*32*(searchCountMost+1): // spread
		return searchWalk
	}
	return searchIndexed
}

// searchCond adds to w the condition that a client matches k, found the way
// given. On PostgreSQL the SQL is the LIKE either way: the planner serves
// it from the pg_trgm indexes when its statistics say the matches are few.
// It must see the pattern to know: a plan made once for any pattern, as
// pgx's cached statements get after five runs, walks every client.
// On SQLite the indexed way also restricts the clients to the rowids that
// the FTS5 table finds, which hold every client the LIKE matches (FTS5
// folds case as it indexes and looks up, character by character), and
// reaches them by rowid alone.
func (s *Store) searchCond(w *where, k roster.SearchKey, way searchWay) {
	if way == searchIndexed && !s.postgres {
		w.and(`id IN (SELECT rowid FROM client_search WHERE client_search MATCH ` + w.arg(ftsQuery(k)) + `)`)
		w.byRowid = true
	}
	w.customPlan = s.postgres
	w.and(matchCond(w, k))
}

// matchCond is the condition that a client's name key contains k.Name or
// its email key k.Email.
func matchCond(w *where, k roster.SearchKey) string {
	return `(name_key LIKE ` + w.arg(containing(k.Name)) + ` ESCAPE '\' OR email_key LIKE ` +
		w.arg(containing(k.Email)) + ` ESCAPE '\')`
}

// denseSample is how many of the newest clients newestMatches checks to
// judge whether a search's matches are dense.
const denseSample = 320

// newestMatches checks the organization's denseSample newest active
// clients against q's search and returns how many match. When the list
// holds fewer clients than that, the matches are all of them, and whole is
// set.
func (s *Store) newestMatches(ctx context.Context, org roster.OrgID, q roster.ClientQuery) (matches int64, whole bool,
	err error) {
	w, newest := s.newest(org, denseSample)
	var rows int64
	err = s.queryRow(ctx, `SELECT count(*), coalesce(sum(CASE WHEN `+matchCond(w, roster.NewSearchKey(q.Search))+
		` THEN 1 ELSE 0 END), 0) FROM (`+newest+`) AS newest`, w.bound()...).Scan(&rows, &matches)
	return matches, rows < denseSample, err
}

// denseCount counts the matches of q's search, dense among the newest
// clients, walking the newest 32 × bound clients, up to bound: the index
// would find so many that reading them, or only finding out how many there
// are, costs more (see countWay). ok is false when it did not count: the
// matches were fewer than bound among them, in a longer list (a cluster of
// them among the newest). A first name's search at 1,000,000 clients is
// spared the index's hits (62,500, which PostgreSQL's trigram indexes took
// 17 ms to find), and finding out how many they are (two fifths of
// SQLite's CPU for such searches); the median of twelve searches one at a
// time went from 20–23 to 12–15 ms on SQLite and from 27–31 to 12–15 ms on
// PostgreSQL (docs/BENCHMARKS.md).
func (s *Store) denseCount(ctx context.Context, org roster.OrgID, q roster.ClientQuery, bound int64) (int64, bool, error) {
	w, newest := s.newest(org, 32*bound)
	// The list's size rides on the count: its organization is $1 too.
	var n, size int64
	listed, _ := listSize(org, false)
	err := s.queryRow(ctx, `SELECT (SELECT count(*) FROM (SELECT 1 FROM (`+newest+`) AS newest WHERE `+
		matchCond(w, roster.NewSearchKey(q.Search))+` LIMIT `+s.limit(&w.args, int(bound))+`) AS matches), (`+listed+`)`,
		w.bound()...).Scan(&n, &size)
	return n, err == nil && (n == bound || size <= 32*bound), err
}

// newestPage reads the page of limit clients offset into the matches of
// a plain search in the list's own order (newestFirst), whose count
// stopped, among the organization's newest 5 × bound clients only: full is
// false when fewer match among them, and the page must be read another
// way. Walking a client costs about a quarter of what reaching one that the
// index found does (see countWay), and the count found bound matches at
// least; so a page of matches spread along the list is read cheaply (at
// 1,000,000 clients, the first page of "olga rossi", 5,208 matches: 3 ms,
// against 28–49 ms reading them all through the index and sorting them, in
// the sqlite3 shell), and one of matches clustered among older clients
// costs at most about twice what it did. ClientPage reads so the pages near
// the start only, whose count read its fewest matches: deeper, the walk
// would be too long to bound this way.
func (s *Store) newestPage(ctx context.Context, org roster.OrgID, q roster.ClientQuery, offset, limit int,
	bound int64) (got []listed, full bool, err error) {
	query, args := s.newestPageQuery(org, q, offset, limit, bound)
	got, err = s.readListed(ctx, segment{}, query, args, nil)
	return got, len(got) == limit, err
}

// newestPageQuery is newestPage's query, of one form per engine, each
// walking the newest clients in order and stopping at the page's last
// match. PostgreSQL's planner, told that uids are bounded, would rather
// read every match through the trigram indexes and sort them; it keeps
// the order of a subquery of the newest clients, which SQLite sorts
// again, reading them all. So SQLite walks the index along uids down to the
// uid that many clients from the newest, and PostgreSQL the subquery.
func (s *Store) newestPageQuery(org roster.OrgID, q roster.ClientQuery, offset, limit int, bound int64) (string, []any) {
	k := roster.NewSearchKey(q.Search)
	var w *where
	var query string
	if s.postgres {
		var newest string
		w, newest = s.newest(org, 5*bound)
		query = `SELECT ` + listColumns + ` FROM clients WHERE org_id = $1 AND id IN (SELECT id FROM (` + newest +
			`) AS newest WHERE ` + matchCond(w, k) + ` ORDER BY uid DESC LIMIT ` + s.limit(&w.args, offset+limit) + `)`
	} else {
		w = s.listWhere(org, roster.ClientQuery{}, searchWalk)
		w.and(matchCond(w, k))
		w.and(`uid >= coalesce((SELECT uid FROM clients WHERE org_id = $1 AND deactivated_at IS NULL AND ` + visible +
			` ORDER BY uid DESC LIMIT 1 OFFSET ` + s.limit(&w.args, int(5*bound-1)) + `), '')`)
		query = `SELECT ` + listColumns + ` FROM ` + w.clients()
	}
	query += ` ORDER BY uid DESC LIMIT ` + s.limit(&w.args, limit)
	if offset > 0 {
		query += ` OFFSET ` + s.limit(&w.args, offset)
	}
	return query, w.bound()
}

// newestFirst reports whether q is a plain search (see plainSearch) listed
// newest first, the list's own order, which its newest clients begin.
func newestFirst(q roster.ClientQuery) bool {
	return plainSearch(q) && orderColumns[q.OrderBy] == "" && !q.Ascending
}

// plainSearch reports whether q searches the active clients through the
// index, with no other filter: whose matches the organization's newest
// active clients begin.
func plainSearch(q roster.ClientQuery) bool {
	return indexable(q) && q.ClientFilter.IsZero() && !q.Deactivated
}

// newest returns a clause of the organization's active clients, and a
// query of the row ids, uids, name and email keys of the newest rows of
// them, which reads them in uid order along an index: on SQLite
// clients_org_deactivated, which holds the keys (migration 32); on
// PostgreSQL clients_org_uid, as its planner prefers.
func (s *Store) newest(org roster.OrgID, rows int64) (*where, string) {
	w := s.listWhere(org, roster.ClientQuery{}, searchWalk)
	return w, `SELECT id, uid, name_key, email_key FROM ` + w.clients() + ` ORDER BY uid DESC LIMIT ` +
		s.limit(&w.args, int(rows))
}

// ftsQuery is the FTS5 query of the rows whose name key may contain k.Name
// or whose email key may contain k.Email: those holding every trigram of a
// cover of the key (trigramCover). That is every row that contains the
// key, and maybe rows that hold the trigrams apart, which the LIKE that
// searchCond adds leaves out. A quoted string of the whole key would find
// exactly the rows that contain it, but FTS5 then reads where each of its
// trigrams lies in each row: at 1,000,000 clients, "olga rossi" took 19 ms
// so and 3 ms as four trigrams, for the same 5,208 rows (sqlite3 shell).
func ftsQuery(k roster.SearchKey) string {
	if k.Name == k.Email {
		return ftsAll(k.Name)
	}
	return "name_key : (" + ftsAll(k.Name) + ") OR email_key : (" + ftsAll(k.Email) + ")"
}

// ftsAll is the FTS5 query of the rows that hold every trigram of key's
// cover. With the trigram tokenizer a quoted string of three characters is
// one trigram, every character (spaces, quotes, LIKE's wildcards) standing
// for itself.
func ftsAll(key string) string {
	var q []string
	for _, t := range trigramCover(key) {
		q = append(q, ftsString(t))
	}
	return strings.Join(q, " AND ")
}

// trigramCover returns trigrams of key, of three characters at least, that
// together hold each of its characters: the first, every third after it,
// and the last. When two of them are the same ("anaana"), a row holding
// that one trigram would hold the cover, however far from the key: then
// it is every trigram of key, once each.
func trigramCover(key string) []string {
	r := []rune(key)
	if len(r) <= 3 {
		return []string{key}
	}
	var cover []string
	for i := 0; ; i += 3 {
		i = min(i, len(r)-3)
		t := string(r[i : i+3])
		if slices.Contains(cover, t) {
			return everyTrigram(r)
		}
		cover = append(cover, t)
		if i+3 >= len(r) {
			return cover
		}
	}
}

// everyTrigram returns every trigram of r, once each.
func everyTrigram(r []rune) []string {
	var all []string
	for i := 0; i+3 <= len(r); i++ {
		if t := string(r[i : i+3]); !slices.Contains(all, t) {
			all = append(all, t)
		}
	}
	return all
}

// ftsString quotes s as an FTS5 string.
func ftsString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// containing is the LIKE pattern of the strings that contain s.
func containing(s string) string { return "%" + likeEscaper.Replace(s) + "%" }

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
