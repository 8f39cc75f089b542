package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

const clockTicks = 100 // USER_HZ on Linux

type procStat struct {
	ppid int
	cpu  float64 // utime + stime, seconds
}

func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	// The command name may contain spaces: fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return procStat{ppid: ppid, cpu: (ut + st) / clockTicks}, true
}

// readRSS returns VmRSS and VmHWM in bytes.
func readRSS(pid int) (rss, hwm int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v * 1024
		case "VmHWM:":
			hwm = v * 1024
		}
	}
	return rss, hwm
}

type sample struct {
	t          time.Duration
	colCPU, db float64
	rss, hwm   int64
}

// sampler records, every second, the collector's CPU and RSS and the CPU of
// the PostgreSQL processes (relative to the start).
type sampler struct {
	pid     int
	pg      *postgresServer
	start   time.Time
	col0    float64
	db0     map[int]float64
	dbLast  map[int]float64 // last CPU seen per PostgreSQL pid, also of exited backends
	samples []sample
	done    chan struct{}
	stopped chan struct{}
}

func newSampler(pid int, pg *postgresServer) *sampler {
	s := &sampler{pid: pid, pg: pg, start: time.Now(), done: make(chan struct{}), stopped: make(chan struct{})}
	if pid > 0 {
		st, _ := readStat(pid)
		s.col0 = st.cpu
	}
	s.db0 = s.dbCPU()
	s.dbLast = map[int]float64{}
	go s.loop()
	return s
}

func (s *sampler) dbCPU() map[int]float64 {
	m := map[int]float64{}
	for _, p := range s.pg.pids() {
		if st, ok := readStat(p); ok {
			m[p] = st.cpu
		}
	}
	return m
}

func (s *sampler) take() {
	var sm sample
	sm.t = time.Since(s.start)
	if s.pid > 0 {
		st, _ := readStat(s.pid)
		sm.colCPU = st.cpu - s.col0
		sm.rss, sm.hwm = readRSS(s.pid)
	}
	for p, c := range s.dbCPU() {
		s.dbLast[p] = c
	}
	for p, c := range s.dbLast {
		sm.db += c - s.db0[p] // a backend started since the start counts from 0
	}
	s.samples = append(s.samples, sm)
}

func (s *sampler) loop() {
	defer close(s.stopped)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			s.take()
			return
		case <-t.C:
			s.take()
		}
	}
}

// stop ends sampling and fills r: CPU up to the moment the store had caught
// up (load seconds + drain; the API reads of the final check are excluded
// where the samples allow), peak RSS over the whole run, RSS per second.
func (s *sampler) stop(r *result) {
	close(s.done)
	<-s.stopped
	r.rssSamples = r.rssSamples[:0]
	for _, sm := range s.samples {
		r.rssSamples = append(r.rssSamples, sm.rss)
		r.peakRSS = max(r.peakRSS, sm.hwm)
	}
	r.samples = s.samples
}

// cpuUntil is the CPU used up to the first sample at or after t.
func (r *result) cpuUntil(t time.Duration) (col, db float64) {
	for _, sm := range r.samples {
		col, db = sm.colCPU, sm.db
		if sm.t >= t {
			break
		}
	}
	return col, db
}
