package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"roster"
	"roster/scim"
)

// SCIMUsers lists an organization's clients, active or not, as SCIM's Users
// list does (RFC 7644 §3.4.2): those cond matches (nil: all), in sort's
// order, from the 1-based start, count of them; and how many match. A
// count of 0 reads the total only.
//
// userName and displayName match case aside (RFC 7643: caseExact false)
// on the folded email_key and name_key, whose indexes serve eq and sw,
// and whose trigram indexes serve co on PostgreSQL; externalId matches
// exactly.
func (s *Store) SCIMUsers(ctx context.Context, org roster.OrgID, cond *scim.Cond, sort scim.Sort, start, count int) (roster.FilterPage, error) {
	var page roster.FilterPage
	w := newWhere("org_id", org)
	w.and(visible)
	w.filter(scoped(ctx, roster.ClientFilter{}))
	if cond != nil {
		w.and(s.scimCond(w, *cond))
	}
	// All Users, the usual first request of a provisioning client, are
	// counted by the organization's counter rather than by reading them;
	// a scoped caller's, through their assignments.
	total, totalArgs := `SELECT count(*) FROM `+w.clients(), w.bound()
	if cond == nil && scopeOf(ctx) == "" {
		total, totalArgs = counterSum(quote(totalKey.dim), quote(totalKey.value)), []any{org}
	}
	if err := s.queryRow(ctx, total, totalArgs...).Scan(&page.Count); err != nil {
		return page, err
	}
	if count == 0 || int64(start) > page.Count {
		return page, nil
	}
	dir := ""
	if sort.Descending {
		dir = " DESC"
	}
	order := scimOrder[sort.Attr] + dir + ", uid" + dir
	args := w.bound()
	query := `SELECT ` + listColumns + ` FROM ` + w.clients() + ` ORDER BY ` + order + ` LIMIT ` + s.limit(&args, count) +
		` OFFSET ` + s.limit(&args, start-1)
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		var c roster.Client
		if err := scanClient(rows, &c); err != nil {
			return page, err
		}
		page.Clients = append(page.Clients, c)
	}
	return page, rows.Err()
}

// scimOrder are the columns of sortBy's attributes; none is creation
// order, which uids follow.
var scimOrder = map[scim.Attr]string{
	0:                     "created_at",
	scim.AttrUserName:     "email_key",
	scim.AttrDisplayName:  "name_key",
	scim.AttrExternalID:   "external_id",
	scim.AttrCreated:      "created_at",
	scim.AttrLastModified: "updated_at",
}

// scimCond is the SQL of c, its values bound in w.
func (s *Store) scimCond(w *where, c scim.Cond) string {
	switch c.Logic {
	case scim.And, scim.Or:
		parts := make([]string, len(c.Parts))
		for i, p := range c.Parts {
			parts[i] = s.scimCond(w, p)
		}
		return "(" + strings.Join(parts, " "+string(c.Logic)+" ") + ")"
	case scim.Not:
		// A comparison with an absent value (NULL) is unknown; not of it
		// is true, as the comparison did not match.
		return "NOT COALESCE(" + s.scimCond(w, c.Parts[0]) + ", FALSE)"
	}
	switch c.Attr {
	case scim.AttrActive:
		switch {
		case c.Op == scim.OpPr:
			return "TRUE"
		case c.Value == (c.Op == scim.OpEq): // eq true, ne false
			return "deactivated_at IS NULL"
		}
		return "deactivated_at IS NOT NULL"
	case scim.AttrCreated, scim.AttrLastModified:
		col := map[scim.Attr]string{scim.AttrCreated: "created_at", scim.AttrLastModified: "updated_at"}[c.Attr]
		if c.Op == scim.OpPr {
			return "TRUE"
		}
		return col + " " + timeOps[c.Op] + " " + w.arg(filterTime{c.Value.(time.Time)})
	case scim.AttrExternalID:
		return s.exactCond(w, "external_id", c.Op, c.Value)
	case scim.AttrUserName:
		return s.foldedCond(w, "email_key", c.Op, c.Value, roster.EmailKey)
	}
	return s.foldedCond(w, "name_key", c.Op, c.Value, roster.NameKey)
}

// filterTime is a time a filter compares with. Unlike dbTime, for which
// the zero time is an absent one (NULL), it is always the time itself:
// "0001-01-01T00:00:00Z" is a date a filter may name, and compared as
// NULL it matched no client.
type filterTime struct{ time.Time }

func (t filterTime) Value() (driver.Value, error) { return t.UTC().Format(timeLayout), nil }

// TimestamptzValue lets pgx encode the time natively, as dbTime's does.
func (t filterTime) TimestamptzValue() (pgtype.Timestamptz, error) {
	return pgtype.Timestamptz{Time: t.Time, Valid: true}, nil
}

// timeOps are the SQL comparisons of the time operators.
var timeOps = map[scim.Op]string{scim.OpEq: "=", scim.OpNe: "<>", scim.OpGt: ">", scim.OpGe: ">=", scim.OpLt: "<", scim.OpLe: "<="}

// foldedCond compares a folded key column with v folded by key: = for
// eq and ne, and LIKE, whose wildcards are escaped, for co, sw and ew.
func (s *Store) foldedCond(w *where, col string, op scim.Op, v any, key func(string) string) string {
	if op == scim.OpPr {
		return "TRUE"
	}
	k := key(v.(string))
	switch op {
	case scim.OpEq:
		return col + " = " + w.arg(k)
	case scim.OpNe:
		return col + " <> " + w.arg(k)
	case scim.OpCo:
		w.customPlan = s.postgres // see searchCond: the trigram index, when the pattern is selective
		return col + " LIKE " + w.arg(containing(k)) + ` ESCAPE '\'`
	case scim.OpSw:
		return col + " LIKE " + w.arg(likeEscaper.Replace(k)+"%") + ` ESCAPE '\'`
	}
	return col + " LIKE " + w.arg("%"+likeEscaper.Replace(k)) + ` ESCAPE '\'`
}

// exactCond compares a column that keeps letter case (externalId is
// caseExact), which SQLite's LIKE would not: its substrings are compared
// instead. ne matches a client without a value.
func (s *Store) exactCond(w *where, col string, op scim.Op, v any) string {
	if op == scim.OpPr {
		return col + " IS NOT NULL"
	}
	str := v.(string)
	n := strconv.Itoa(utf8.RuneCountInString(str))
	switch op {
	case scim.OpEq:
		return col + " = " + w.arg(str)
	case scim.OpNe:
		return fmt.Sprintf("(%s IS NULL OR %s <> %s)", col, col, w.arg(str))
	case scim.OpCo:
		find := "instr(%s, %s) > 0"
		if s.postgres {
			find = "strpos(%s, %s) > 0"
		}
		return fmt.Sprintf(find, col, w.arg(str))
	case scim.OpSw:
		return fmt.Sprintf("substr(%s, 1, %s) = %s", col, n, w.arg(str))
	}
	return fmt.Sprintf("(length(%s) >= %s AND substr(%s, length(%s) - %s + 1) = %s)", col, n, col, col, n, w.arg(str))
}
