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
