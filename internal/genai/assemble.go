package genai

import (
	"bytes"
	"cmp"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Assembly is the result of assembling the spans of one trace. It is a pure
// function of the set of spans, so any split or order of arrival gives the
// same result once the same spans are known (S7).
type Assembly struct {
	Runs  []Run  // sorted by Key
	Calls []Call // sorted by SpanID
	// Per input span (same index as the input): the index into Runs of the
	// span's run, or -1, and whether the span's usage was counted.
	RunOf   []int
	Counted []bool
}

const noSpan = -1

// Assembler assembles the traces of a batch one after another, reusing its
// buffers from one trace to the next: the Assembly it returns is valid until
// its next call. The zero value is ready to use; it is not safe for
// concurrent use.
type Assembler struct {
	spans   []Span
	first   []int // index of the first occurrence of each span's id (duplicates point to it)
	parent  []int
	topMost []int // top of each span's known ancestry chain
	agent   []int // top-most agent ancestor-or-self, or noSpan
	stack   []int // scratch of resolve, breakCycles and attributes

	// Buffers kept for the next trace.
	ints       []int
	bools      []bool
	store      []runBuild
	builds     []*runBuild
	runOfSpan  []*runBuild
	implicit   []int
	passive    []int
	unattached []int
	callBuf    []Call
	runBuf     []Run
}

// linearLookup is the trace size up to which span ids are looked up by a
// scan instead of a map: most traces have a handful of spans, and the map
// would be most of the assembly's allocations.
const linearLookup = 32

// Assemble applies rules S2 to S4 to all known spans of one trace.
// Duplicated span ids are resolved to their first occurrence.
func Assemble(spans []Span) Assembly {
	var a Assembler
	return a.Assemble(spans)
}

// Assemble is the package-level Assemble on a's buffers.
func (a *Assembler) Assemble(spans []Span) Assembly {
	a.spans = spans
	defer func() { a.spans = nil }() // do not keep the caller's spans alive
	a.link()
	return a.build()
}

// Reset drops what the last assembly holds of the caller's spans (ids,
// names, models) while keeping the buffers, so that a pooled Assembler does
// not keep a finished batch's strings alive.
func (a *Assembler) Reset() {
	store := a.store[:cap(a.store)]
	for i := range store {
		store[i].run = Run{}
	}
	clear(a.callBuf[:cap(a.callBuf)])
	clear(a.runBuf[:cap(a.runBuf)])
}

// resize returns buf with length n and every element zero, reallocating only
// when its capacity is too small. Never nil, as Assemble's slices always were.
func resize[T any](buf []T, n int) []T {
	if buf == nil || cap(buf) < n {
		return make([]T, n)
	}
	buf = buf[:n]
	clear(buf)
	return buf
}

// newBuild appends a run to a.store, keeping the members buffer of the run
// that held the slot before. The store never grows here, so pointers into it
// stay valid.
func (a *Assembler) newBuild(root int) *runBuild {
	a.store = a.store[:len(a.store)+1]
	b := &a.store[len(a.store)-1]
	*b = runBuild{root: root, members: b.members[:0]}
	return b
}

func (a *Assembler) link() {
	n := len(a.spans)
	// The last n ints are the Assembly's RunOf (build).
	a.ints = resize(a.ints, 5*n)
	ints := a.ints
	a.first, a.parent, a.topMost, a.agent = ints[:n:n], ints[n:2*n:2*n], ints[2*n:3*n:3*n], ints[3*n:4*n:4*n]
	var byID map[pcommon.SpanID]int
	if n > linearLookup {
		byID = make(map[pcommon.SpanID]int, n)
	}
	// find returns the first occurrence among spans[:limit] of id.
	find := func(id pcommon.SpanID, limit int) (int, bool) {
		if byID != nil {
			j, ok := byID[id]
			return j, ok
		}
		for j := range limit {
			if a.first[j] == j && a.spans[j].SpanID == id {
				return j, true
			}
		}
		return 0, false
	}
	for i := range a.spans {
		if j, ok := find(a.spans[i].SpanID, i); ok {
			a.first[i] = j
			continue
		}
		if byID != nil {
			byID[a.spans[i].SpanID] = i
		}
		a.first[i] = i
	}
	for i := range a.spans {
		a.parent[i] = noSpan
		if a.first[i] != i {
			continue
		}
		p := a.spans[i].ParentSpanID
		if p.IsEmpty() {
			continue
		}
		if j, ok := find(p, n); ok && j != i {
			a.parent[i] = j
		}
	}
	a.breakCycles()
	for i := range a.topMost {
		a.topMost[i] = -2 // not computed
	}
	for i := range a.spans {
		a.resolve(i)
	}
}

// breakCycles cuts malformed parent cycles deterministically: the member with
// the smallest span id becomes a root, whatever the input order.
func (a *Assembler) breakCycles() {
	const (
		unseen = 0
		active = 1
		done   = 2
	)
	// topMost is not computed yet: it holds the states meanwhile.
	state := a.topMost
	clear(state)
	for i := range a.spans {
		if state[i] != unseen {
			continue
		}
		path := a.stack[:0]
		j := i
		for j != noSpan && state[j] == unseen {
			state[j] = active
			path = append(path, j)
			j = a.parent[j]
		}
		if j != noSpan && state[j] == active {
			// path from j to the end of path is a cycle
			start := 0
			for path[start] != j {
				start++
			}
			minIdx := j
			for _, k := range path[start:] {
				if bytes.Compare(a.spans[k].SpanID[:], a.spans[minIdx].SpanID[:]) < 0 {
					minIdx = k
				}
			}
			a.parent[minIdx] = noSpan
		}
		for _, k := range path {
			state[k] = done
		}
		a.stack = path
	}
}

// resolve fills topMost and agent for span i and its ancestors, iteratively.
func (a *Assembler) resolve(i int) {
	stack := a.stack[:0]
	defer func() { a.stack = stack }()
	for j := i; j != noSpan && a.topMost[j] == -2; j = a.parent[j] {
		stack = append(stack, j)
	}
	for k := len(stack) - 1; k >= 0; k-- {
		j := stack[k]
		p := a.parent[j]
		if p == noSpan {
			a.topMost[j] = j
			a.agent[j] = noSpan
		} else {
			a.topMost[j] = a.topMost[p]
			a.agent[j] = a.agent[p]
		}
		if a.agent[j] == noSpan && a.spans[j].Role == RoleAgent {
			a.agent[j] = j
		}
	}
}

// chainBroken reports whether span i's known ancestry ends at a span whose
// parent was never received.
func (a *Assembler) chainBroken(i int) bool {
	return !a.spans[a.topMost[i]].ParentSpanID.IsEmpty()
}

func (a *Assembler) before(i, j int) bool { return a.order(i, j) < 0 }

// order compares spans i and j by start, then span id.
func (a *Assembler) order(i, j int) int {
	si, sj := &a.spans[i], &a.spans[j]
	if c := cmp.Compare(si.Start, sj.Start); c != 0 {
		return c
	}
	return bytes.Compare(si.SpanID[:], sj.SpanID[:])
}

type runBuild struct {
	root    int
	members []int // unique spans of the run, root included for explicit runs
	run     Run
	index   int // in Assembly.Runs
}

func (a *Assembler) build() Assembly {
	n := len(a.spans)
	// countLLM uses the first 4n bools.
	a.bools = resize(a.bools, 5*n)
	res := Assembly{RunOf: a.ints[4*n:], Counted: a.bools[4*n:]}

	// Explicit runs: top-most agent spans (S2). One backing array holds
	// them and the implicit run.
	roots := 0
	for i := range a.spans {
		if a.first[i] == i && a.agent[i] == i {
			roots++
		}
	}
	if cap(a.store) < roots+1 {
		a.store = make([]runBuild, 0, roots+1)
	}
	a.store = a.store[:0]
	builds := a.builds[:0]
	a.runOfSpan = resize(a.runOfSpan, n)
	runOfSpan := a.runOfSpan
	for i := range a.spans {
		if a.first[i] == i && a.agent[i] == i {
			b := a.newBuild(i)
			runOfSpan[i] = b
			builds = append(builds, b)
		}
	}
	defer func() { a.builds = builds }()
	slices.SortFunc(builds, func(x, y *runBuild) int {
		return bytes.Compare(a.spans[x.root].SpanID[:], a.spans[y.root].SpanID[:])
	})

	implicit := a.implicit[:0]     // GenAI spans without a run
	passive := a.passive[:0]       // aggregate spans without usage and without a run
	unattached := a.unattached[:0] // other spans without an agent ancestor
	defer func() { a.implicit, a.passive, a.unattached = implicit, passive, unattached }()
	for i := range a.spans {
		if a.first[i] != i {
			continue
		}
		if ag := a.agent[i]; ag != noSpan {
			b := runOfSpan[ag]
			b.members = append(b.members, i)
			runOfSpan[i] = b
			continue
		}
		role := a.spans[i].Role
		if role != RoleLLM && role != RoleAggregate {
			unattached = append(unattached, i)
			continue
		}
		if len(builds) == 1 && a.chainBroken(i) {
			// S7: a span whose ancestry is unknown joins the trace's only run.
			builds[0].members = append(builds[0].members, i)
			runOfSpan[i] = builds[0]
			continue
		}
		if role == RoleAggregate && !a.spans[i].HasUsage {
			// A chain or workflow span that only wraps agent runs (a batch
			// job) is no GenAI work of its own: it joins the implicit run
			// when there is one, but never creates it.
			passive = append(passive, i)
			continue
		}
		implicit = append(implicit, i)
	}

	if len(implicit) > 0 {
		b := a.newBuild(noSpan)
		a.implicitRun(b, implicit, passive, unattached)
		for _, i := range implicit {
			runOfSpan[i] = b
		}
		for _, i := range passive {
			runOfSpan[i] = b
		}
		builds = append(builds, b)
	}

	counted := a.countLLM()
	calls := 0
	for _, c := range counted {
		if c {
			calls++
		}
	}
	if a.callBuf == nil || cap(a.callBuf) < calls {
		a.callBuf = make([]Call, 0, calls)
	}
	res.Calls = a.callBuf[:0]
	for _, b := range builds {
		slices.SortFunc(b.members, a.order)
		a.attributes(b)
		res.Calls = a.calls(b, counted, res.Calls)
	}
	a.callBuf = res.Calls

	slices.SortFunc(builds, func(x, y *runBuild) int { return cmp.Compare(x.run.Key, y.run.Key) })
	a.runBuf = resize(a.runBuf, len(builds))
	res.Runs = a.runBuf
	for k, b := range builds {
		res.Runs[k] = b.run
		b.index = k
	}
	for i := range res.RunOf {
		res.RunOf[i] = noSpan
		if b := runOfSpan[a.first[i]]; b != nil {
			res.RunOf[i] = b.index
		}
		res.Counted[i] = counted[a.first[i]]
	}
	slices.SortFunc(res.Calls, func(x, y Call) int { return bytes.Compare(x.SpanID[:], y.SpanID[:]) })
	return res
}

// implicitRun groups GenAI spans without an agent ancestor into the trace's
// implicit run, rooted at the top of their ancestry (the trace root).
func (a *Assembler) implicitRun(b *runBuild, implicit, passive, unattached []int) {
	root := noSpan
	for _, i := range implicit {
		t := a.topMost[i]
		if root == noSpan || a.rootBefore(t, root) {
			root = t
		}
	}
	b.root = root
	b.members = slices.Grow(b.members[:0], len(implicit)+len(passive)+len(unattached))
	b.members = append(b.members, implicit...)
	b.members = append(b.members, passive...)
	b.members = append(b.members, unattached...)
	b.run.Implicit = true
}

// rootBefore prefers true roots over spans whose parent is missing, then the
// earliest start, then the smallest span id.
func (a *Assembler) rootBefore(i, j int) bool {
	ti, tj := a.spans[i].ParentSpanID.IsEmpty(), a.spans[j].ParentSpanID.IsEmpty()
	if ti != tj {
		return ti
	}
	return a.before(i, j)
}

// countLLM decides which LLM spans carry the counted usage (S4): the deepest
// LLM span with usage in each stack; an LLM span without usage counts as a
// call only when no LLM span is below it and no counted LLM span above it.
func (a *Assembler) countLLM() []bool {
	n := len(a.spans)
	bools := a.bools // zeroed by build
	usageBelow, llmBelow, counted := bools[:n:n], bools[n:2*n:2*n], bools[2*n:3*n:3*n]
	for i := range a.spans {
		s := &a.spans[i]
		if a.first[i] != i || s.Role != RoleLLM {
			continue
		}
		for p := a.parent[i]; p != noSpan; p = a.parent[p] {
			if s.HasUsage {
				if usageBelow[p] && llmBelow[p] {
					break
				}
				usageBelow[p] = true
			} else if llmBelow[p] {
				break
			}
			llmBelow[p] = true
		}
	}
	for i := range a.spans {
		s := &a.spans[i]
		counted[i] = a.first[i] == i && s.Role == RoleLLM && s.HasUsage && !usageBelow[i]
	}
	// A usage-less leaf is a call of its own (a failed request, say) unless an
	// LLM span above it already counts the same physical call.
	for i := range a.spans {
		s := &a.spans[i]
		if a.first[i] != i || s.Role != RoleLLM || s.HasUsage || llmBelow[i] {
			continue
		}
		counted[i] = true
		for p := a.parent[i]; p != noSpan; p = a.parent[p] {
			if counted[p] && a.spans[p].HasUsage {
				counted[i] = false
				break
			}
		}
	}
	return counted
}

func (a *Assembler) attributes(b *runBuild) {
	r := &b.run
	root := &a.spans[b.root]
	r.TraceID = root.TraceID
	r.RootSpanID = root.SpanID
	r.Key = RunKey(root.TraceID, root.SpanID)

	ancestors := a.stack[:0]
	if !r.Implicit {
		for p := a.parent[b.root]; p != noSpan; p = a.parent[p] {
			ancestors = append(ancestors, p)
		}
	}
	a.stack = ancestors
	// pick chooses the root's value, else the nearest ancestor's, else the
	// earliest member's. Conflicts are distinct other values inside the run
	// (root and members): an ancestor outside the run is no conflict. They
	// are rare, so a scan of a small array finds the distinct ones.
	pick := func(get func(*Span) string) (string, int64) {
		var chosen string
		var buf [4]string
		others := buf[:0]
		consider := func(i int, inRun bool) {
			v := get(&a.spans[i])
			if v == "" {
				return
			}
			if chosen == "" {
				chosen = v
				return
			}
			if v != chosen && inRun && !slices.Contains(others, v) {
				others = append(others, v)
			}
		}
		consider(b.root, true)
		for _, p := range ancestors {
			consider(p, false)
		}
		for _, m := range b.members {
			consider(m, true)
		}
		return chosen, int64(len(others))
	}
	r.UserID, r.UserConflicts = pick(func(s *Span) string { return s.UserID })
	r.SessionID, _ = pick(func(s *Span) string { return s.SessionID })
	r.WorkflowName, _ = pick(func(s *Span) string { return s.WorkflowName })
	if r.WorkflowName == "" {
		r.WorkflowName = DefaultWorkflow
	}

	switch {
	case !r.Implicit && root.AgentName != "":
		r.AgentName = root.AgentName
	case !r.Implicit && a.memberAgentName(b) != "":
		// A nameless framework root (ADK's invocation) is named after the
		// first named agent span inside it.
		r.AgentName = a.memberAgentName(b)
	case root.Service != "":
		r.AgentName = root.Service
	default:
		r.AgentName = UnknownAgent
	}

	if !r.Implicit {
		r.Start, r.End, r.Error = root.Start, root.End, root.Error
		return
	}
	r.Error = root.Error
	first := true
	for _, m := range b.members {
		s := &a.spans[m]
		if s.Role != RoleLLM && s.Role != RoleAggregate {
			continue
		}
		if first || s.Start < r.Start {
			r.Start = s.Start
		}
		if first || s.End > r.End {
			r.End = s.End
		}
		first = false
		r.Error = r.Error || s.Error
	}
}

// calls appends the run's counted usage records to all and fills the run's
// totals.
func (a *Assembler) calls(b *runBuild, counted []bool, all []Call) []Call {
	r := &b.run
	start := len(all)
	hasLLMUsage := false
	for _, m := range b.members {
		if counted[m] {
			all = append(all, a.call(m, r, false))
			hasLLMUsage = hasLLMUsage || a.spans[m].HasUsage
		}
	}
	if !hasLLMUsage {
		// Fall back to the top-most agent or aggregate spans with usage.
		// The fourth n bools are all false between runs.
		n := len(a.spans)
		inRun := a.bools[3*n : 4*n : 4*n]
		for _, m := range b.members {
			inRun[m] = true
		}
		defer func() {
			for _, m := range b.members {
				inRun[m] = false
			}
		}()
		for _, m := range b.members {
			if !a.isAggregateUsage(m) {
				continue
			}
			covered := false
			for p := a.parent[m]; p != noSpan && inRun[p]; p = a.parent[p] {
				if a.isAggregateUsage(p) {
					covered = true
					break
				}
			}
			if !covered {
				counted[m] = true
				all = append(all, a.call(m, r, true))
			}
		}
	}
	out := all[start:]
	for k := range out {
		r.Usage = r.Usage.Add(out[k].Usage)
		r.CostNanos += out[k].CostNanos
	}
	r.CallCount = int64(len(out))
	return all
}

func (a *Assembler) isAggregateUsage(i int) bool {
	s := &a.spans[i]
	return s.HasUsage && (s.Role == RoleAgent || s.Role == RoleAggregate || s.Role == RoleTool)
}

func (a *Assembler) call(i int, r *Run, aggregate bool) Call {
	s := &a.spans[i]
	model := s.Model
	if model == "" {
		model = UnknownModel
	}
	return Call{
		TraceID:    s.TraceID,
		SpanID:     s.SpanID,
		RunKey:     r.Key,
		Start:      s.Start,
		Model:      model,
		Provider:   s.Provider,
		Usage:      s.Usage,
		CostNanos:  s.CostNanos,
		CostSource: s.CostSource,
		Aggregate:  aggregate,
		UserID:     r.UserID,
		RunStart:   r.Start,
	}
}

// memberAgentName is the name of the run's earliest named agent span below
// its root, or "".
func (a *Assembler) memberAgentName(b *runBuild) string {
	for _, m := range b.members {
		if m != b.root && a.spans[m].Role == RoleAgent && a.spans[m].AgentName != "" {
			return a.spans[m].AgentName
		}
	}
	return ""
}
