package sqllist

import (
	"strconv"
	"strings"
	"testing"

	"github.com/waxell/otelcol-waxell/internal/store"
)

func TestSpecSQL(t *testing.T) {
	base := Spec{Dialect: Dialect{NoLimit: "ALL"}, From: "users u", Alias: "u", Key: "user_id", Cols: "user_id, run_count",
		SortCol: "run_count", Desc: true}
	cur := &store.Cursor{Value: 7, ID: "bob"}
	tests := []struct {
		name     string
		edit     func(*Spec)
		want     []string // substrings, in order
		wantArgs []any
	}{
		{"first page", func(l *Spec) { l.Limit = 50 },
			[]string{"SELECT user_id, run_count FROM users u ORDER BY run_count DESC, user_id DESC LIMIT 50"}, nil},
		{"offset without limit uses the dialect", func(l *Spec) { l.Offset = 10 },
			[]string{"ORDER BY run_count DESC, user_id DESC LIMIT ALL OFFSET 10"}, nil},
		{"ascending: the key ascends too", func(l *Spec) { l.Desc, l.After, l.Limit = false, cur, 5 },
			[]string{"u.run_count = $1 AND u.user_id > $2 ORDER BY u.user_id ASC LIMIT 5) t",
				"u.run_count > $1 ORDER BY run_count ASC, user_id ASC LIMIT 5) b"},
			[]any{int64(7), "bob"}},
		{"filters", func(l *Spec) { l.Conds, l.Limit = []string{"a", "b"}, 5 }, []string{" WHERE a AND b ORDER BY"}, nil},
		{"after: tie group then beyond, in list order", func(l *Spec) { l.After, l.Limit = cur, 5 },
			[]string{"u.run_count = $1 AND u.user_id < $2 ORDER BY u.user_id DESC LIMIT 5) t", "UNION ALL",
				"u.run_count < $1 ORDER BY run_count DESC, user_id DESC LIMIT 5) b", ") k ORDER BY run_count DESC, user_id DESC LIMIT 5"},
			[]any{int64(7), "bob"}},
		{"before: reversed scans, then list order", func(l *Spec) { l.Before, l.After, l.Limit = cur, &store.Cursor{}, 5 },
			[]string{"u.run_count = $1 AND u.user_id > $2 ORDER BY u.user_id ASC LIMIT 5) t",
				"u.run_count > $1 ORDER BY run_count ASC, user_id ASC LIMIT 5) b",
				") k ORDER BY run_count ASC, user_id ASC LIMIT 5) r ORDER BY run_count DESC, user_id DESC"},
			[]any{int64(7), "bob"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := base
			tt.edit(&l)
			var args []any
			got := l.SQL(func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) })
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("SQL lacks %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
			if len(args) != len(tt.wantArgs) {
				t.Fatalf("args %v, want %v", args, tt.wantArgs)
			}
			for i := range args {
				if args[i] != tt.wantArgs[i] {
					t.Fatalf("args %v, want %v", args, tt.wantArgs)
				}
			}
		})
	}
}

func TestSortColumn(t *testing.T) {
	for _, tc := range []struct {
		field, want, err string
	}{
		{"", "last_seen", ""},
		{store.SortLastSeen, "last_seen", ""},
		{store.SortTotalCost, "total_cost", ""},
		{store.SortTotalDuration, "total_duration", ""},
		{"user_id; DROP TABLE users", "", `unknown sort field "user_id; DROP TABLE users"`},
		{"-total_cost", "", `unknown sort field "-total_cost"`},
	} {
		got, err := SortColumn(tc.field)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("SortColumn(%q): error %v, want %q", tc.field, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("SortColumn(%q) = %q, %v; want %q", tc.field, got, err, tc.want)
		}
	}
}

func TestWindowAggSplitsTheWindow(t *testing.T) {
	const h = int64(3600e9)
	for _, tc := range []struct {
		name         string
		lo, hi       int64
		exact        bool
		runReads     int // branches reading runs: the whole window, or its edges shorter than an hour
		placeholders int
	}{
		{"inside one hour: the runs alone", 10, h - 10, true, 1, 2},
		{"whole hours: the rollup alone", h, 3 * h, false, 0, 2},
		{"whole hours and both edges", h - 10, 3*h + 10, false, 2, 6},
		{"whole hours and the end's edge", h, 3*h + 10, false, 1, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, d := range []Dialect{{Int8: "::int8", Greatest: "greatest"}, {Greatest: "max"}} {
				var args []any
				arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
				sql, exact := d.WindowAgg(store.SplitWindow(tc.lo, tc.hi), arg, "user_id <> ''")
				if exact != tc.exact || len(args) != tc.placeholders {
					t.Fatalf("%+v: exact %v, %d placeholders; want %v, %d", d, exact, len(args), tc.exact, tc.placeholders)
				}
				if got := strings.Count(sql, "FROM runs"); got != tc.runReads {
					t.Errorf("%+v: %d reads of runs, want %d:\n%s", d, got, tc.runReads, sql)
				}
				if got := strings.Count(sql, d.Greatest+"(end_ns - start_ns, 0)"); got != tc.runReads {
					t.Errorf("%+v: %d durations clamped with %s, want %d:\n%s", d, got, d.Greatest, tc.runReads, sql)
				}
				if d.Int8 == "" && strings.Contains(sql, "::") {
					t.Errorf("%+v: a cast the dialect has not:\n%s", d, sql)
				}
			}
		})
	}
}
