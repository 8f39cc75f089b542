package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"testing"
)

func jsonIndent(w *bytes.Buffer, b []byte) error { return json.Indent(w, b, "", "  ") }

// decodeJSON decodes a document keeping numbers as json.Number, so that they
// compare exactly.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON document")
	}
	return v, nil
}

// idPlaceholder stands for a run id in expected documents: run ids are
// assigned by the store (a PostgreSQL identity may skip values), so they are
// checked for being positive and unique instead of literally.
const idPlaceholder = "<run id>"

// cursorPlaceholder stands for a pagination cursor in expected documents:
// cursors are opaque, so any non-empty string matches.
const cursorPlaceholder = "<cursor>"

// maskRunIDs replaces the "id" of every object in a "runs" array by
// idPlaceholder after checking it is a positive integer, and returns the ids.
func maskRunIDs(v any) ([]int64, error) {
	var ids []int64
	var walk func(any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "runs" {
					runs, ok := e.([]any)
					if !ok {
						return fmt.Errorf("runs is %T, want an array", e)
					}
					for _, r := range runs {
						m, ok := r.(map[string]any)
						if !ok {
							return fmt.Errorf("run is %T, want an object", r)
						}
						n, ok := m["id"].(json.Number)
						if !ok {
							return fmt.Errorf("run id is %T (%v), want a number", m["id"], m["id"])
						}
						id, err := strconv.ParseInt(n.String(), 10, 64)
						if err != nil || id <= 0 {
							return fmt.Errorf("run id %s is not a positive integer", n)
						}
						ids = append(ids, id)
						m["id"] = idPlaceholder
					}
					continue
				}
				if err := walk(e); err != nil {
					return err
				}
			}
		case []any:
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return ids, walk(v)
}

// diffJSON returns the first difference between two decoded documents, as
// "path: explanation", or "" if they are equal. Numbers are compared as exact
// decimals (2.50 == 2.5); objects must have exactly the same keys.
func diffJSON(path string, got, want any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %s, want an object", path, describe(got))
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
			if _, ok := g[k]; !ok {
				return fmt.Sprintf("%s: missing key %q", path, k)
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				return fmt.Sprintf("%s: unexpected key %q (value %s)", path, k, describe(g[k]))
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if d := diffJSON(path+"."+k, g[k], w[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Sprintf("%s: got %s, want an array", path, describe(got))
		}
		for i := range min(len(g), len(w)) {
			if d := diffJSON(fmt.Sprintf("%s[%d]", path, i), g[i], w[i]); d != "" {
				return d
			}
		}
		if len(g) != len(w) {
			return fmt.Sprintf("%s: got %d elements, want %d", path, len(g), len(w))
		}
		return ""
	case json.Number:
		g, ok := got.(json.Number)
		if !ok {
			return fmt.Sprintf("%s: got %s, want the number %s", path, describe(got), w)
		}
		gr, ok1 := new(big.Rat).SetString(g.String())
		wr, ok2 := new(big.Rat).SetString(w.String())
		if !ok1 || !ok2 || gr.Cmp(wr) != 0 {
			return fmt.Sprintf("%s: got %s, want %s", path, g, w)
		}
		return ""
	case string:
		if w == cursorPlaceholder {
			if g, ok := got.(string); !ok || g == "" {
				return fmt.Sprintf("%s: got %s, want a cursor (a non-empty string)", path, describe(got))
			}
			return ""
		}
		if !reflect.DeepEqual(got, want) {
			return fmt.Sprintf("%s: got %s, want %s", path, describe(got), describe(want))
		}
		return ""
	default:
		if !reflect.DeepEqual(got, want) {
			return fmt.Sprintf("%s: got %s, want %s", path, describe(got), describe(want))
		}
		return ""
	}
}

func describe(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// assertJSON checks that body is the JSON document want (run ids masked,
// see idPlaceholder) and returns the run ids it contained.
func assertJSON(t *testing.T, what string, body []byte, want string) []int64 {
	t.Helper()
	ids, d, err := compareJSON(body, want)
	if err != nil {
		t.Fatalf("%s: %v\nbody:\n%s", what, err, indentJSON(body))
	}
	if d != "" {
		t.Errorf("%s: %s\ngot:\n%s\nwant:\n%s", what, d, indentJSON(body), indentJSON([]byte(want)))
	}
	return ids
}

// compareJSON compares body with want, apart from the object keys in
// ignore; the difference is "" when they match.
func compareJSON(body []byte, want string, ignore ...string) (ids []int64, diff string, err error) {
	got, err := decodeJSON(body)
	if err != nil {
		return nil, "", fmt.Errorf("the answer is not JSON: %w", err)
	}
	w, err := decodeJSON([]byte(want))
	if err != nil {
		panic(fmt.Sprintf("bad expected JSON: %v\n%s", err, want))
	}
	if ids, err = maskRunIDs(got); err != nil {
		return nil, "", err
	}
	for _, k := range ignore {
		deleteKey(got, k)
		deleteKey(w, k)
	}
	return ids, diffJSON("$", got, w), nil
}

// deleteKey removes key from every object of a decoded document.
func deleteKey(v any, key string) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, key)
		for _, e := range x {
			deleteKey(e, key)
		}
	case []any:
		for _, e := range x {
			deleteKey(e, key)
		}
	}
}
