package useraggprocessor // import "github.com/waxell/otelcol-waxell/processor/useraggprocessor"

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/pricing"
	"github.com/waxell/otelcol-waxell/internal/ratelog"
)

// logInterval is the minimum time between two log messages about the same
// kind of bad input.
const logInterval = time.Minute

// minKeyBytes is the shortest pseudonymisation key accepted without a warning.
const minKeyBytes = 32

type userAggProcessor struct {
	cfg    *Config
	logger *zap.Logger
	tel    *telemetry

	// Set by start.
	extractor *genai.Extractor
	hmacs     *sync.Pool // of hash.Hash, nil when pseudonymisation is off

	batches   sync.Pool // of *batch
	rejectLog *ratelog.Limiter
	skipLog   *ratelog.Limiter
	emailLog  *ratelog.Limiter
	now       func() time.Time // the clock of the future-timestamp rule
	attrOpts  sync.Map         // string -> metric.AddOption, bounded by the number of distinct label sets
}

func newUserAggProcessor(set processor.Settings, cfg *Config) (*userAggProcessor, error) {
	tel, err := newTelemetry(set.MeterProvider)
	if err != nil {
		return nil, fmt.Errorf("useragg: cannot create metrics: %w", err)
	}
	return &userAggProcessor{
		cfg:       cfg,
		logger:    set.Logger,
		tel:       tel,
		batches:   sync.Pool{New: func() any { return newBatch() }},
		rejectLog: ratelog.New(logInterval),
		skipLog:   ratelog.New(logInterval),
		emailLog:  ratelog.New(logInterval),
		now:       time.Now,
	}, nil
}

func (p *userAggProcessor) start(_ context.Context, _ component.Host) error {
	table, err := p.priceTable()
	if err != nil {
		return err
	}
	if ps := p.cfg.Privacy.Pseudonymize; ps.Enabled {
		key := []byte(string(ps.Key))
		if ps.KeyEnv != "" {
			v, ok := os.LookupEnv(ps.KeyEnv)
			if !ok || v == "" {
				return fmt.Errorf("useragg: privacy.pseudonymize.key_env: environment variable %s is unset or empty", ps.KeyEnv)
			}
			key = []byte(v)
		}
		if len(key) < minKeyBytes {
			p.logger.Warn("The user id pseudonymisation key is short; use at least 32 random bytes",
				zap.Int("key_bytes", len(key)))
		}
		p.hmacs = &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}
	}
	p.extractor = genai.NewExtractor(p.extractConfig(), tablePricer{table})
	p.logger.Info("useragg processor started",
		zap.String("price_table", table.Version()),
		zap.Bool("pseudonymize_user_ids", p.hmacs != nil))
	return nil
}

// priceTable builds the price table: built-in, then the LiteLLM file, then
// the configured overrides.
func (p *userAggProcessor) priceTable() (*pricing.Table, error) {
	table, err := pricing.Default()
	if err != nil {
		return nil, fmt.Errorf("useragg: cannot load the built-in price table: %w", err)
	}
	if path := p.cfg.Pricing.LiteLLMFile; path != "" {
		prices, err := pricing.LoadLiteLLMFile(path)
		if err != nil {
			return nil, fmt.Errorf("useragg: pricing.litellm_file: %w", err)
		}
		table = table.With(prices)
	}
	overrides, err := p.cfg.overrides()
	if err != nil {
		return nil, fmt.Errorf("useragg: %w", err)
	}
	return table.With(overrides), nil
}

func (p *userAggProcessor) extractConfig() genai.ExtractConfig {
	a := p.cfg.Attributes
	return genai.ExtractConfig{
		UserKeys:        a.UserID,
		SessionKeys:     a.SessionID,
		AgentNameKeys:   a.AgentName,
		WorkflowKeys:    a.WorkflowName,
		ModelKeys:       a.Model,
		ProviderKeys:    a.Provider,
		InputTokenKeys:  a.InputTokens,
		OutputTokenKeys: a.OutputTokens,
		CacheReadKeys:   a.CacheReadTokens,
		CacheWriteKeys:  a.CacheWriteTokens,
		ReasoningKeys:   a.ReasoningTokens,
		CostKeys:        a.CostUSD,
	}
}

// tablePricer adapts the price table to the extractor's Pricer.
type tablePricer struct{ t *pricing.Table }

func (tp tablePricer) Cost(model string, u genai.Usage) (int64, bool) {
	nanos, _, ok := tp.t.Cost(model, pricing.Usage{
		Input:      u.Input,
		Output:     u.Output,
		CacheRead:  u.CacheRead,
		CacheWrite: u.CacheWrite,
		Reasoning:  u.Reasoning,
	})
	return nanos, ok
}

// BaseName groups a reported model under the price-table entry it resolves
// to (the extractor uses it when the pricer offers it).
func (tp tablePricer) BaseName(model string) string { return tp.t.BaseName(model) }

// batch is the scratch state of one call to processTraces, pooled.
type batch struct {
	spans   []genai.Span
	refs    []ptrace.Span
	order   []int
	grouped []genai.Span
	asm     genai.Assembler // its buffers serve every trace of the batch

	// pseudonyms caches the batch's user id pseudonyms: the spans of a run
	// repeat their user id, and each HMAC costs about a microsecond.
	pseudonyms map[string]string
	idBytes    []byte // scratch of pseudonym

	conventions map[string]int64
	issues      map[genai.Issue]int64
	skipped     map[string]int64 // by genai.SkipReason
	runs        int64
	calls       int64
	unpriced    int64
	withoutUser int64
	conflicts   int64
	emailLike   int64
}

func newBatch() *batch {
	return &batch{
		conventions: map[string]int64{}, issues: map[genai.Issue]int64{}, skipped: map[string]int64{},
		pseudonyms: map[string]string{},
	}
}

func (b *batch) reset() {
	clear(b.spans)
	clear(b.refs)
	clear(b.grouped)
	b.spans, b.refs, b.order, b.grouped = b.spans[:0], b.refs[:0], b.order[:0], b.grouped[:0]
	clear(b.conventions)
	clear(b.issues)
	clear(b.skipped)
	clear(b.pseudonyms)
	b.asm.Reset()
	b.runs, b.calls, b.unpriced, b.withoutUser, b.conflicts, b.emailLike = 0, 0, 0, 0, 0, 0
}

// processTraces extracts the canonical facts of every span, assembles the
// runs of each trace in the batch and writes the canonical attributes. Bad
// values never fail the batch: they are skipped, counted and logged.
func (p *userAggProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	if td.SpanCount() == 0 || p.extractor == nil {
		return td, nil
	}
	b := p.batches.Get().(*batch)
	defer func() {
		b.reset()
		p.batches.Put(b)
	}()

	p.extract(td, b)
	p.annotate(b)
	p.record(ctx, b)
	return td, nil
}

func (p *userAggProcessor) extract(td ptrace.Traces, b *batch) {
	now := p.now().UnixNano()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource()
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			scope := ss.Scope()
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				s, issues := p.extractor.Extract(res, scope, span)
				for _, is := range issues {
					b.issues[is]++
				}
				if s.Convention == "" {
					b.conventions[conventionNone]++
				} else {
					b.conventions[s.Convention]++
				}
				if reason := genai.SkipReason(&s, now, p.cfg.MaxFutureSkew); reason != "" {
					// Not counted, not assembled; the exporter does not
					// store it (docs/reliability.md).
					b.skipped[reason]++
					genai.MarkSkipped(span, reason)
					continue
				}
				p.protectUserID(&s, b)
				b.spans = append(b.spans, s)
				b.refs = append(b.refs, span)
			}
		}
	}
}

// protectUserID counts email-like user ids and pseudonymises the span's own
// user id when configured. Only Span.UserID is changed.
func (p *userAggProcessor) protectUserID(s *genai.Span, b *batch) {
	if s.UserID == "" {
		return
	}
	if p.cfg.Privacy.WarnEmailUserIDs && looksLikeEmail(s.UserID) {
		b.emailLike++
	}
	if p.hmacs != nil {
		s.UserID = p.pseudonym(s.UserID, b)
	}
}

// pseudonym is the lower-case hex HMAC-SHA256 of id.
func (p *userAggProcessor) pseudonym(id string, b *batch) string {
	if v, ok := b.pseudonyms[id]; ok {
		return v
	}
	h := p.hmacs.Get().(hash.Hash)
	h.Reset()
	// Through the batch's buffer: a conversion would escape into Write.
	b.idBytes = append(b.idBytes[:0], id...)
	h.Write(b.idBytes)
	var sum [sha256.Size]byte
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], h.Sum(sum[:0]))
	p.hmacs.Put(h)
	v := string(out[:])
	b.pseudonyms[id] = v
	return v
}

// looksLikeEmail reports whether s has the shape local@domain.tld.
func looksLikeEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') {
		return false
	}
	domain := s[at+1:]
	dot := strings.LastIndexByte(domain, '.')
	if dot <= 0 || dot == len(domain)-1 {
		return false
	}
	return !strings.ContainsAny(s, " \t\r\n<>,;:")
}

// annotate groups the batch's spans by trace, assembles each trace and
// writes the canonical attributes onto every span.
func (p *userAggProcessor) annotate(b *batch) {
	n := len(b.spans)
	for i := range n {
		b.order = append(b.order, i)
	}
	slices.SortStableFunc(b.order, func(x, y int) int {
		return compareTraceIDs(&b.spans[x].TraceID, &b.spans[y].TraceID)
	})
	for _, i := range b.order {
		b.grouped = append(b.grouped, b.spans[i])
	}
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && b.grouped[hi].TraceID == b.grouped[lo].TraceID {
			hi++
		}
		p.annotateTrace(b, lo, hi)
		lo = hi
	}
}

// compareTraceIDs orders trace ids as bytes.Compare does, as two big-endian
// words: the batch's sort does thousands of these.
func compareTraceIDs(x, y *pcommon.TraceID) int {
	if c := cmp.Compare(binary.BigEndian.Uint64(x[:8]), binary.BigEndian.Uint64(y[:8])); c != 0 {
		return c
	}
	return cmp.Compare(binary.BigEndian.Uint64(x[8:]), binary.BigEndian.Uint64(y[8:]))
}

func (p *userAggProcessor) annotateTrace(b *batch, lo, hi int) {
	group := b.grouped[lo:hi]
	asm := b.asm.Assemble(group)
	b.runs += int64(len(asm.Runs))
	for r := range asm.Runs {
		if asm.Runs[r].UserConflicts > 0 {
			b.conflicts++
		}
	}
	b.calls += int64(len(asm.Calls))
	for c := range asm.Calls {
		if asm.Calls[c].CostSource == genai.CostUnpriced {
			b.unpriced++
		}
	}
	for k := range group {
		s := &group[k]
		v := genai.RunView{Counted: asm.Counted[k]}
		if r := asm.RunOf[k]; r >= 0 {
			v.Run = &asm.Runs[r]
			v.Root = v.Run.RootSpanID == s.SpanID
		} else if r := implicitRootOf(asm.Runs, s); r >= 0 {
			// The trace root of an implicit run is not a member of it
			// (it is no GenAI span), but it is the run's root.
			v.Run = &asm.Runs[r]
			v.Root = true
		}
		if s.IsGenAI() && userOf(s, v.Run) == "" {
			b.withoutUser++
		}
		genai.Annotate(b.refs[b.order[lo+k]], s, v)
	}
}

func implicitRootOf(runs []genai.Run, s *genai.Span) int {
	for r := range runs {
		if runs[r].Implicit && runs[r].RootSpanID == s.SpanID {
			return r
		}
	}
	return -1
}

func userOf(s *genai.Span, r *genai.Run) string {
	if r != nil {
		return r.UserID
	}
	return s.UserID
}

// record publishes the batch's counts and logs bad input, rate-limited.
func (p *userAggProcessor) record(ctx context.Context, b *batch) {
	t := p.tel
	for conv, n := range b.conventions {
		t.spans.Add(ctx, n, p.attrOption(attrConvention, conv))
	}
	addIf(ctx, t.runs, b.runs)
	addIf(ctx, t.calls, b.calls)
	addIf(ctx, t.callsUnpriced, b.unpriced)
	addIf(ctx, t.withoutUser, b.withoutUser)
	addIf(ctx, t.userConflicts, b.conflicts)
	addIf(ctx, t.emailLike, b.emailLike)
	for reason, n := range b.skipped {
		t.skipped.Add(ctx, n, p.attrOption(attrReason, reason))
		if ok, count := p.skipLog.Add(reason, n); ok {
			p.logger.Warn("Skipped malformed spans: not counted and not stored (logged at most once a minute per reason)",
				zap.String("reason", reason),
				zap.Int64("count", count))
		}
	}
	for is, n := range b.issues {
		t.rejected.Add(ctx, n, p.attrOption(attrAttribute, is.Attribute, attrReason, is.Reason))
		if ok, count := p.rejectLog.Add(is.Attribute+"\x00"+is.Reason, n); ok {
			p.logger.Warn("Skipped malformed GenAI attribute values (logged at most once a minute per attribute and reason)",
				zap.String("attribute", is.Attribute),
				zap.String("reason", is.Reason),
				zap.Int64("count", count))
		}
	}
	if b.emailLike > 0 && p.hmacs == nil {
		if ok, count := p.emailLog.Add("", b.emailLike); ok {
			p.logger.Warn("User ids that look like email addresses are stored as given; "+
				"consider privacy.pseudonymize (logged at most once a minute)",
				zap.Int64("count", count))
		}
	}
}

func addIf(ctx context.Context, c metric.Int64Counter, n int64) {
	if n > 0 {
		c.Add(ctx, n)
	}
}

// maxAttrOpts bounds the cache of metric attribute sets.
const maxAttrOpts = 1024

// attrOption returns the metric option for the given key/value pairs,
// cached so that steady-state batches do not allocate attribute sets.
func (p *userAggProcessor) attrOption(kv ...string) metric.AddOption {
	key := strings.Join(kv, "\x00")
	if o, ok := p.attrOpts.Load(key); ok {
		return o.(metric.AddOption)
	}
	attrs := make([]attribute.KeyValue, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		attrs = append(attrs, attribute.String(kv[i], kv[i+1]))
	}
	o := metric.WithAttributeSet(attribute.NewSet(attrs...))
	if p.attrOptsLen() < maxAttrOpts {
		p.attrOpts.Store(key, o)
	}
	return o
}

func (p *userAggProcessor) attrOptsLen() int {
	n := 0
	p.attrOpts.Range(func(_, _ any) bool {
		n++
		return n < maxAttrOpts
	})
	return n
}
