package store_test

import (
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"roster"
	"roster/store/storetest"
)

// TestSchemasAgree migrates a fresh database on each engine and compares
// what the two catalogs say of the tables: a migration that adds a table,
// column, index or constraint on one engine only, or gives a column types
// that do not correspond, fails it.
func TestSchemasAgree(t *testing.T) {
	lite := sqliteSchema(t, storetest.Open(t, "sqlite").DB())
	// A catalog query that finds nothing would agree with anything.
	for _, want := range []string{
		"table clients",
		"column clients.email_key TEXT NOT NULL",
		"primary key clients (id)",
		"unique accounts (uid)",
		"index invitations.invitations_org_pending (org_id, invitee_email_key) UNIQUE WHERE status = 'pending'",
		"foreign key clients (org_id) references organizations (id) on delete CASCADE on update NO ACTION",
	} {
		if !slices.Contains(lite, want) {
			t.Fatalf("SQLite's schema lacks %q; it reads:\n\t%s", want, strings.Join(lite, "\n\t"))
		}
	}
	pg := postgresSchema(t, storetest.Open(t, "postgres").DB())
	lite = withoutOwn(t, "SQLite", lite, sqliteSearchIndex, "table client_search",
		"columns of client_search: name_key, email_key")
	pg = withoutOwn(t, "PostgreSQL", pg, pgSearchIndex, "index clients.clients_search_name (name_key)",
		"index clients.clients_search_email (email_key)")
	lite = withoutOwn(t, "SQLite", lite, sqliteActivityWalk, "index client_activities.client_activities_walk "+
		"(org_id, activity, deactivated, client_uid, import_id, age, height, weight, shoe_size, client_id)")
	var walks []string
	for _, a := range roster.Activities {
		walks = append(walks, "index clients.clients_walk_"+strings.ToLower(strings.ReplaceAll(a, " ", "_"))+
			` (org_id, uid, age, height, weight, shoe_size) WHERE deactivated_at IS NULL AND preferable_activities ~~ '%"`+a+`"%'`)
	}
	pg = withoutOwn(t, "PostgreSQL", pg, pgActivityWalk, walks...)
	lite = withoutOwn(t, "SQLite", lite, newestWalk,
		"index clients.clients_org_deactivated (org_id, deactivated_at, uid, import_id, name_key, email_key)")
	pg = withoutOwn(t, "PostgreSQL", pg, newestWalk, "index clients.clients_org_deactivated (org_id, deactivated_at, uid)")
	if onlyLite, onlyPG := without(lite, pg), without(pg, lite); len(onlyLite)+len(onlyPG) > 0 {
		t.Errorf("the engines' schemas differ\nonly on SQLite:\n\t%s\nonly on PostgreSQL:\n\t%s",
			strings.Join(onlyLite, "\n\t"), strings.Join(onlyPG, "\n\t"))
	}
}

// The search index of migration 8 is each engine's own kind (see
// store/search.go): on SQLite an FTS5 virtual table, which FTS5 keeps in
// shadow tables of its own making; on PostgreSQL pg_trgm's GIN indexes.
// Neither engine can hold the other's, so each is checked on its engine
// and left out of the comparison.
var (
	sqliteSearchIndex = regexp.MustCompile(`^(table|columns of|column|primary key) client_search(_config|_data|_idx)?\b`)
	pgSearchIndex     = regexp.MustCompile(`^index clients\.clients_search_(name|email) `)
)

// The index that a filter page of one activity with ranges walks is each
// engine's own too (see where.walkActivityIndex): on SQLite the
// activities' rows (migration 26), on PostgreSQL a partial index of each
// activity's clients (migration 28), which SQLite's planner passes over.
var (
	sqliteActivityWalk = regexp.MustCompile(`^index client_activities\.client_activities_walk `)
	pgActivityWalk     = regexp.MustCompile(`^index clients\.clients_walk_\w+ `)
)

// The index along which a search walks the newest active clients holds
// their keys on SQLite only (migration 32): PostgreSQL walks them along
// another index, and gained nothing from it.
var newestWalk = regexp.MustCompile(`^index clients\.clients_org_deactivated `)

// withoutOwn returns lines without those that match own, one engine's
// own kind of index, which must include want.
func withoutOwn(t *testing.T, engine string, lines []string, own *regexp.Regexp, want ...string) []string {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(lines, w) {
			t.Errorf("%s's schema lacks its own %q", engine, w)
		}
	}
	return slices.DeleteFunc(lines, own.MatchString)
}

// without returns the lines of a that b lacks.
func without(a, b []string) []string {
	var out []string
	for _, line := range a {
		if !slices.Contains(b, line) {
			out = append(out, line)
		}
	}
	return out
}

// sqliteTables are the tables of a SQLite database, goose's and SQLite's
// own aside.
const sqliteTables = `(SELECT name, sql FROM sqlite_master
	WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version') m`

var (
	sqlComment  = regexp.MustCompile(`--[^\n]*`)
	checkClause = regexp.MustCompile(`(?i)\bCHECK\s*\(`)
	indexWhere  = regexp.MustCompile(`(?is)\bWHERE\s+(.*)$`)
)

func sqliteSchema(t *testing.T, db *sql.DB) []string {
	var s schemaLines
	// SQLite keeps a CHECK only in the text of its table.
	for _, r := range queryRows(t, db, `SELECT name, sql FROM `+sqliteTables) {
		s.table(r[0], len(checkClause.FindAllString(sqlComment.ReplaceAllString(r[1], ""), -1)))
	}
	// SQLite lets a primary key other than INTEGER hold NULL; Roster never
	// writes one, so it counts as NOT NULL, as on PostgreSQL.
	for _, r := range queryRows(t, db, `SELECT m.name, c.name, upper(c.type), c."notnull" OR c.pk > 0, c.dflt_value
		FROM `+sqliteTables+`, pragma_table_info(m.name) c ORDER BY m.name, c.cid`) {
		s.column(r[0], r[1], r[2], r[3] == "1", r[4])
	}
	for _, r := range queryRows(t, db, `SELECT m.name, group_concat(c.name, ', ' ORDER BY c.pk)
		FROM `+sqliteTables+`, pragma_table_info(m.name) c WHERE c.pk > 0 GROUP BY m.name`) {
		s.key("primary key", r[0], r[1])
	}
	// origin is "c" for CREATE INDEX, "u" for a UNIQUE constraint and "pk"
	// for a primary key.
	for _, r := range queryRows(t, db, `SELECT m.name, l.name, l."unique", l.origin, coalesce(x.sql, ''),
			(SELECT group_concat(coalesce(i.name, '(expression)'), ', ' ORDER BY i.seqno) FROM pragma_index_info(l.name) i)
		FROM `+sqliteTables+`, pragma_index_list(m.name) l LEFT JOIN sqlite_master x ON x.type = 'index' AND x.name = l.name`) {
		switch r[3] {
		case "c":
			where := ""
			if m := indexWhere.FindStringSubmatch(r[4]); m != nil {
				where = m[1]
			}
			s.index(r[0], r[1], r[5], r[2] == "1", where)
		case "u":
			s.key("unique", r[0], r[5])
		}
	}
	for _, r := range queryRows(t, db, `SELECT m.name, group_concat(f."from", ', ' ORDER BY f.seq), f."table",
			group_concat(f."to", ', ' ORDER BY f.seq), f.on_delete, f.on_update
		FROM `+sqliteTables+`, pragma_foreign_key_list(m.name) f GROUP BY m.name, f.id`) {
		s.foreignKey(r[0], r[1], r[2], r[3], r[4], r[5])
	}
	return s.sorted()
}

// pgTables are the tables of the PostgreSQL schema on the search path,
// goose's own aside.
const pgTables = `(SELECT oid, relname FROM pg_class
	WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace AND relname <> 'goose_db_version') t`

// pgColumns lists the names of the columns numbered in the array attnums
// of the table rel, in their order.
func pgColumns(attnums, rel string) string {
	return `(SELECT string_agg(a.attname, ', ' ORDER BY u.n) FROM unnest(` + attnums + `) WITH ORDINALITY u (attnum, n)
		JOIN pg_attribute a ON a.attrelid = ` + rel + ` AND a.attnum = u.attnum)`
}

// sqliteTypeOf maps PostgreSQL's column types, as information_schema names
// them, to the SQLite types the migrations give the same columns (see
// sqlTypes in migrate.go).
var sqliteTypeOf = map[string]string{
	"bigint":                   "INTEGER",
	"integer":                  "INTEGER",
	"double precision":         "REAL",
	"text":                     "TEXT",
	"bytea":                    "BLOB",
	"boolean":                  "BOOLEAN", // both spell it so; SQLite keeps 0 or 1
	"timestamp with time zone": "TEXT",
}

// pgAction names the codes of pg_constraint's confdeltype and confupdtype
// as SQLite's pragma_foreign_key_list does.
var pgAction = map[string]string{"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

func postgresSchema(t *testing.T, db *sql.DB) []string {
	var s schemaLines
	for _, r := range queryRows(t, db, `SELECT t.relname,
			(SELECT count(*) FROM pg_constraint k WHERE k.conrelid = t.oid AND k.contype = 'c')
		FROM `+pgTables) {
		checks, err := strconv.Atoi(r[1])
		if err != nil {
			t.Fatal(err)
		}
		s.table(r[0], checks)
	}
	for _, r := range queryRows(t, db, `SELECT table_name, column_name, data_type, (is_nullable = 'NO')::int, column_default
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'
		ORDER BY table_name, ordinal_position`) {
		typ, ok := sqliteTypeOf[r[2]]
		if !ok {
			t.Errorf("column %s.%s: PostgreSQL's %s has no SQLite type in sqliteTypeOf", r[0], r[1], r[2])
			typ = r[2]
		}
		s.column(r[0], r[1], typ, r[3] == "1", r[4])
	}
	for _, r := range queryRows(t, db, `SELECT t.relname, k.contype, `+pgColumns("k.conkey", "k.conrelid")+`
		FROM `+pgTables+` JOIN pg_constraint k ON k.conrelid = t.oid WHERE k.contype IN ('p', 'u')`) {
		s.key(map[string]string{"p": "primary key", "u": "unique"}[r[1]], r[0], r[2])
	}
	// The indexes made by CREATE INDEX: those of no constraint.
	for _, r := range queryRows(t, db, `SELECT t.relname, i.relname, x.indisunique::int,
			(SELECT string_agg(pg_get_indexdef(x.indexrelid, n, true), ', ' ORDER BY n) FROM generate_series(1, x.indnkeyatts) n),
			pg_get_expr(x.indpred, x.indrelid, true)
		FROM `+pgTables+` JOIN pg_index x ON x.indrelid = t.oid JOIN pg_class i ON i.oid = x.indexrelid
		WHERE NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x'))`) {
		s.index(r[0], r[1], r[3], r[2] == "1", r[4])
	}
	for _, r := range queryRows(t, db, `SELECT t.relname, `+pgColumns("k.conkey", "k.conrelid")+`, p.relname,
			`+pgColumns("k.confkey", "k.confrelid")+`, k.confdeltype, k.confupdtype
		FROM `+pgTables+` JOIN pg_constraint k ON k.conrelid = t.oid JOIN pg_class p ON p.oid = k.confrelid
		WHERE k.contype = 'f'`) {
		s.foreignKey(r[0], r[1], r[2], r[3], pgAction[r[4]], pgAction[r[5]])
	}
	return s.sorted()
}

// schemaLines is what a catalog says of the tables, one fact a line, in
// words both engines share, so that two schemas compare line by line.
type schemaLines struct {
	lines   []string
	columns map[string][]string // table → its columns in order
}

func (s *schemaLines) add(format string, args ...any) {
	s.lines = append(s.lines, fmt.Sprintf(format, args...))
}

func (s *schemaLines) table(name string, checks int) {
	s.add("table %s", name)
	if checks > 0 {
		s.add("table %s CHECK constraints: %d", name, checks)
	}
}

// column takes the columns of each table in their order; dflt is the
// column's default as the catalog writes it, "" for none.
func (s *schemaLines) column(table, name, typ string, notNull bool, dflt string) {
	s.add("column %s.%s %s%s%s", table, name, typ, keyword(notNull, "NOT NULL"), clause("DEFAULT", dflt))
	if s.columns == nil {
		s.columns = map[string][]string{}
	}
	s.columns[table] = append(s.columns[table], name)
}

// index takes an index made by CREATE INDEX; where is its WHERE
// expression, "" for none.
func (s *schemaLines) index(table, name, columns string, unique bool, where string) {
	s.add("index %s.%s (%s)%s%s", table, name, columns, keyword(unique, "UNIQUE"), clause("WHERE", where))
}

// key takes a primary key or a UNIQUE constraint.
func (s *schemaLines) key(kind, table, columns string) {
	s.add("%s %s (%s)", kind, table, columns)
}

func (s *schemaLines) foreignKey(table, columns, parent, parentColumns, onDelete, onUpdate string) {
	s.add("foreign key %s (%s) references %s (%s) on delete %s on update %s",
		table, columns, parent, parentColumns, onDelete, onUpdate)
}

// keyword returns " word" when on.
func keyword(on bool, word string) string {
	if !on {
		return ""
	}
	return " " + word
}

// clause returns " word expr" for an expression, and "" for none.
func clause(word, expr string) string {
	if expr == "" {
		return ""
	}
	return " " + word + " " + sqlExpr(expr)
}

// sorted returns the lines, with the order of each table's columns.
func (s *schemaLines) sorted() []string {
	for table, columns := range s.columns {
		s.add("columns of %s: %s", table, strings.Join(columns, ", "))
	}
	slices.Sort(s.lines)
	return s.lines
}

// pgCast is the type PostgreSQL writes after each literal of an expression.
var pgCast = regexp.MustCompile(`::\w+`)

// sqlExpr writes an expression (a default, an index's WHERE) of either
// engine alike: without PostgreSQL's casts, with single spaces, and without
// parentheses around the whole.
func sqlExpr(expr string) string {
	expr = strings.Join(strings.Fields(pgCast.ReplaceAllString(expr, "")), " ")
	for strings.HasPrefix(expr, "(") && closingParen(expr) == len(expr)-1 {
		expr = strings.TrimSpace(expr[1 : len(expr)-1])
	}
	return expr
}

// closingParen returns the index of the parenthesis that closes the one
// expr starts with, or -1.
func closingParen(expr string) int {
	depth := 0
	for i, c := range expr {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// queryRows returns the rows of query, each column as text ("" for NULL).
func queryRows(t *testing.T, db *sql.DB, query string) [][]string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var all [][]string
	for rows.Next() {
		values := make([]sql.NullString, len(columns))
		dest := make([]any, len(values))
		for i := range values {
			dest[i] = &values[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(values))
		for i, v := range values {
			row[i] = v.String
		}
		all = append(all, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return all
}
