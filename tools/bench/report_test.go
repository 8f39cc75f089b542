package main

import (
	"slices"
	"testing"
)

func TestMinuteMeans(t *testing.T) {
	ramp := make([]int64, 150) // two whole minutes and half of a third
	for i := range ramp {
		ramp[i] = int64(i)
	}
	for _, tc := range []struct {
		name string
		in   []int64
		want []int64
	}{
		{"empty", nil, nil},
		{"under a minute", ramp[:59], nil},
		{"partial minute dropped", ramp, []int64{29, 89}}, // (0+...+59)/60 = 29.5, (60+...+119)/60 = 89.5
	} {
		if got := minuteMeans(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("%s: minuteMeans = %v, want %v", tc.name, got, tc.want)
		}
	}
}
