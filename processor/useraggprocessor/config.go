package useraggprocessor // import "github.com/waxell/otelcol-waxell/processor/useraggprocessor"

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"

	"github.com/waxell/otelcol-waxell/internal/pricing"
)

// Config is the configuration of the useragg processor.
type Config struct {
	// Attributes lists extra span attribute keys, per canonical field, that
	// are tried before the built-in precedence lists. Default: none.
	Attributes AttributesConfig `mapstructure:"attributes"`

	// Pricing adjusts the built-in price table.
	Pricing PricingConfig `mapstructure:"pricing"`

	// Privacy controls how user ids are treated.
	Privacy PrivacyConfig `mapstructure:"privacy"`

	// MaxFutureSkew skips spans that start more than this after the
	// collector's clock (a client with a broken clock would otherwise set
	// its users' last seen years ahead); they are counted in
	// useragg.spans.skipped. 0 keeps every span at the time it reports
	// (design S8). Default: 0 (off).
	MaxFutureSkew time.Duration `mapstructure:"max_future_skew"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// AttributesConfig holds the extra attribute keys for each canonical field.
// Keys listed here win over every built-in key, in the order given.
type AttributesConfig struct {
	UserID           []string `mapstructure:"user_id"`
	SessionID        []string `mapstructure:"session_id"`
	AgentName        []string `mapstructure:"agent_name"`
	WorkflowName     []string `mapstructure:"workflow_name"`
	Model            []string `mapstructure:"model"`
	Provider         []string `mapstructure:"provider"`
	InputTokens      []string `mapstructure:"input_tokens"`
	OutputTokens     []string `mapstructure:"output_tokens"`
	CacheReadTokens  []string `mapstructure:"cache_read_tokens"`
	CacheWriteTokens []string `mapstructure:"cache_write_tokens"`
	ReasoningTokens  []string `mapstructure:"reasoning_tokens"`
	CostUSD          []string `mapstructure:"cost_usd"`
}

// PricingConfig adjusts the embedded price table. The LiteLLM file is
// applied over the built-in table, and overrides over both.
type PricingConfig struct {
	// Overrides sets the price of a model, replacing its built-in and
	// LiteLLM price entirely (no per-field merging). Keys are model names
	// as reported by the instrumentation. Default: none.
	Overrides map[string]PriceConfig `mapstructure:"overrides"`

	// LiteLLMFile is the path of a LiteLLM model_prices_and_context_window.json
	// file, read when the processor starts. Default: "" (not used).
	LiteLLMFile string `mapstructure:"litellm_file"`
}

// PriceConfig is one model's price in USD per million tokens. At least one
// of input and output must be set; an unset input or output is 0. An unset
// cached_input or cache_write bills those tokens at input, an unset
// reasoning bills reasoning tokens at output. Prices are converted exactly
// to micro-USD per million tokens, so at most six decimal places are allowed.
type PriceConfig struct {
	Input       *float64 `mapstructure:"input"`
	CachedInput *float64 `mapstructure:"cached_input"`
	CacheWrite  *float64 `mapstructure:"cache_write"`
	Output      *float64 `mapstructure:"output"`
	Reasoning   *float64 `mapstructure:"reasoning"`
}

// PrivacyConfig controls how user ids are treated.
type PrivacyConfig struct {
	// Pseudonymize replaces user ids by HMAC-SHA256 of themselves.
	Pseudonymize PseudonymizeConfig `mapstructure:"pseudonymize"`

	// WarnEmailUserIDs counts user ids that look like email addresses and,
	// when they are not pseudonymised, logs a rate-limited warning.
	// Default: true.
	WarnEmailUserIDs bool `mapstructure:"warn_email_user_ids"`
}

// PseudonymizeConfig enables pseudonymisation of user ids: each id is
// replaced by the lower-case hex HMAC-SHA256 of the id under Key, so that the
// same id always maps to the same pseudonym.
type PseudonymizeConfig struct {
	// Enabled turns pseudonymisation on. Default: false.
	Enabled bool `mapstructure:"enabled"`
	// Key is the HMAC key. Exactly one of Key and KeyEnv must be set when
	// Enabled. Default: "".
	Key configopaque.String `mapstructure:"key"`
	// KeyEnv names an environment variable holding the HMAC key, read when
	// the processor starts. Default: "".
	KeyEnv string `mapstructure:"key_env"`
}

var _ confmap.Validator = (*Config)(nil)

// Validate checks the configuration. Errors name the offending field.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.MaxFutureSkew < 0 {
		errs = append(errs, fmt.Errorf("max_future_skew: must not be negative, got %s", cfg.MaxFutureSkew))
	}
	for _, f := range cfg.Attributes.fields() {
		for i, k := range *f.keys {
			if strings.TrimSpace(k) == "" {
				errs = append(errs, fmt.Errorf("attributes.%s[%d]: attribute key must not be empty", f.name, i))
			}
		}
	}

	models := make([]string, 0, len(cfg.Pricing.Overrides))
	for m := range cfg.Pricing.Overrides {
		models = append(models, m)
	}
	slices.Sort(models)
	for _, m := range models {
		if strings.TrimSpace(m) == "" {
			errs = append(errs, errors.New("pricing.overrides: model name must not be empty"))
			continue
		}
		if _, err := cfg.Pricing.Overrides[m].price(m); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.Pricing.LiteLLMFile != "" && strings.TrimSpace(cfg.Pricing.LiteLLMFile) == "" {
		errs = append(errs, errors.New("pricing.litellm_file: path must not be blank"))
	}

	ps := cfg.Privacy.Pseudonymize
	if ps.Enabled {
		switch {
		case ps.Key == "" && ps.KeyEnv == "":
			errs = append(errs, errors.New("privacy.pseudonymize: enabled requires key or key_env"))
		case ps.Key != "" && ps.KeyEnv != "":
			errs = append(errs, errors.New("privacy.pseudonymize: set only one of key and key_env"))
		case ps.KeyEnv != "" && strings.TrimSpace(ps.KeyEnv) != ps.KeyEnv:
			errs = append(errs, fmt.Errorf("privacy.pseudonymize.key_env: %q is not a valid environment variable name", ps.KeyEnv))
		}
	}
	return errors.Join(errs...)
}

type attrField struct {
	name string
	keys *[]string
}

func (a *AttributesConfig) fields() []attrField {
	return []attrField{
		{"user_id", &a.UserID},
		{"session_id", &a.SessionID},
		{"agent_name", &a.AgentName},
		{"workflow_name", &a.WorkflowName},
		{"model", &a.Model},
		{"provider", &a.Provider},
		{"input_tokens", &a.InputTokens},
		{"output_tokens", &a.OutputTokens},
		{"cache_read_tokens", &a.CacheReadTokens},
		{"cache_write_tokens", &a.CacheWriteTokens},
		{"reasoning_tokens", &a.ReasoningTokens},
		{"cost_usd", &a.CostUSD},
	}
}

// price converts the configured USD-per-million prices of model to a
// pricing.Price. Error messages name the field.
func (p PriceConfig) price(model string) (pricing.Price, error) {
	if p.Input == nil && p.Output == nil {
		return pricing.Price{}, fmt.Errorf("pricing.overrides[%s]: set at least one of input and output", model)
	}
	var out pricing.Price
	var errs []error
	conv := func(name string, v *float64, dst *int64, has *bool) {
		if v == nil {
			return
		}
		n, err := microsPerMillion(*v)
		if err != nil {
			errs = append(errs, fmt.Errorf("pricing.overrides[%s].%s: %w", model, name, err))
			return
		}
		*dst = n
		if has != nil {
			*has = true
		}
	}
	conv("input", p.Input, &out.Input, nil)
	conv("cached_input", p.CachedInput, &out.CachedInput, &out.HasCachedInput)
	conv("cache_write", p.CacheWrite, &out.CacheWrite, &out.HasCacheWrite)
	conv("output", p.Output, &out.Output, nil)
	conv("reasoning", p.Reasoning, &out.Reasoning, &out.HasReasoning)
	if len(errs) > 0 {
		return pricing.Price{}, errors.Join(errs...)
	}
	return out, nil
}

// microsPerMillion converts a USD-per-million price, as decoded from YAML,
// to micro-USD per million tokens. The float is formatted with the shortest
// decimal representation that round-trips (what the user wrote, for any
// price with at most 15 significant digits) and converted from that text, so
// 2.5 becomes exactly 2_500_000.
func microsPerMillion(usd float64) (int64, error) {
	switch {
	case math.IsNaN(usd) || math.IsInf(usd, 0):
		return 0, fmt.Errorf("%v is not a price", usd)
	case usd < 0:
		return 0, fmt.Errorf("price must not be negative, got %v", usd)
	}
	n, err := pricing.ParseUSDPerMillion(strconv.FormatFloat(usd, 'f', -1, 64))
	if err != nil {
		return 0, fmt.Errorf("invalid price %v USD per million tokens: %w", usd, err)
	}
	return n, nil
}

// overrides converts all price overrides; call after Validate.
func (cfg *Config) overrides() (map[string]pricing.Price, error) {
	if len(cfg.Pricing.Overrides) == 0 {
		return nil, nil
	}
	out := make(map[string]pricing.Price, len(cfg.Pricing.Overrides))
	for m, pc := range cfg.Pricing.Overrides {
		p, err := pc.price(m)
		if err != nil {
			return nil, err
		}
		out[m] = p
	}
	return out, nil
}
