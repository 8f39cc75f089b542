package useraggprocessor

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/waxell/otelcol-waxell/internal/pricing"
	"github.com/waxell/otelcol-waxell/processor/useraggprocessor/internal/metadata"
)

func ptr(f float64) *float64 { return &f }

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	tests := []struct {
		id       component.ID
		expected *Config
	}{
		{
			id:       component.NewID(metadata.Type),
			expected: createDefaultConfig().(*Config),
		},
		{
			id: component.NewIDWithName(metadata.Type, "custom"),
			expected: &Config{
				Attributes: AttributesConfig{
					UserID:           []string{"customer_id", "app.user"},
					SessionID:        []string{"conversation_id"},
					AgentName:        []string{"app.agent"},
					WorkflowName:     []string{"app.workflow"},
					Model:            []string{"app.model"},
					Provider:         []string{"app.provider"},
					InputTokens:      []string{"app.tokens.in"},
					OutputTokens:     []string{"app.tokens.out"},
					CacheReadTokens:  []string{"app.tokens.cache_read"},
					CacheWriteTokens: []string{"app.tokens.cache_write"},
					ReasoningTokens:  []string{"app.tokens.reasoning"},
					CostUSD:          []string{"app.cost"},
				},
				Pricing: PricingConfig{
					LiteLLMFile: "testdata/litellm.json",
					Overrides: map[string]PriceConfig{
						"my-finetune": {
							Input: ptr(2.5), CachedInput: ptr(1.25), CacheWrite: ptr(3.125),
							Output: ptr(10), Reasoning: ptr(12.000001),
						},
						"embed-small": {Input: ptr(0.02)},
					},
				},
				Privacy: PrivacyConfig{
					Pseudonymize: PseudonymizeConfig{
						Enabled: true,
						Key:     "not-a-real-key-0123456789abcdef0123",
					},
					WarnEmailUserIDs: false,
				},
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "key_env"),
			expected: &Config{
				Privacy: PrivacyConfig{
					Pseudonymize:     PseudonymizeConfig{Enabled: true, KeyEnv: "WAXELL_PSEUDONYM_KEY"},
					WarnEmailUserIDs: true,
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			require.NoError(t, confmap.Validate(cfg))
			assert.Equal(t, tt.expected, cfg)
		})
	}
}

func TestCreateDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig()
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	require.NoError(t, confmap.Validate(cfg))
	assert.True(t, cfg.(*Config).Privacy.WarnEmailUserIDs)
	assert.False(t, cfg.(*Config).Privacy.Pseudonymize.Enabled)
}

func TestOverridesConvertExactly(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, "custom").String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))

	got, err := cfg.overrides()
	require.NoError(t, err)
	assert.Equal(t, map[string]pricing.Price{
		"my-finetune": {
			Input: 2_500_000, CachedInput: 1_250_000, CacheWrite: 3_125_000,
			Output: 10_000_000, Reasoning: 12_000_001,
			HasCachedInput: true, HasCacheWrite: true, HasReasoning: true,
		},
		"embed-small": {Input: 20_000},
	}, got)
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{
			name:    "empty attribute key",
			mutate:  func(c *Config) { c.Attributes.UserID = []string{"customer_id", " "} },
			wantErr: "attributes.user_id[1]: attribute key must not be empty",
		},
		{
			name:    "empty cost key",
			mutate:  func(c *Config) { c.Attributes.CostUSD = []string{""} },
			wantErr: "attributes.cost_usd[0]: attribute key must not be empty",
		},
		{
			name: "negative price",
			mutate: func(c *Config) {
				c.Pricing.Overrides = map[string]PriceConfig{"m": {Input: ptr(1), Output: ptr(-2)}}
			},
			wantErr: "pricing.overrides[m].output: price must not be negative, got -2",
		},
		{
			name: "negative cached input",
			mutate: func(c *Config) {
				c.Pricing.Overrides = map[string]PriceConfig{"m": {Input: ptr(1), CachedInput: ptr(-0.5)}}
			},
			wantErr: "pricing.overrides[m].cached_input: price must not be negative",
		},
		{
			name: "too precise price",
			mutate: func(c *Config) {
				c.Pricing.Overrides = map[string]PriceConfig{"m": {Input: ptr(0.0000001)}}
			},
			wantErr: "pricing.overrides[m].input: invalid price 1e-07 USD per million tokens",
		},
		{
			name: "no input nor output",
			mutate: func(c *Config) {
				c.Pricing.Overrides = map[string]PriceConfig{"m": {Reasoning: ptr(1)}}
			},
			wantErr: "pricing.overrides[m]: set at least one of input and output",
		},
		{
			name: "empty model",
			mutate: func(c *Config) {
				c.Pricing.Overrides = map[string]PriceConfig{"": {Input: ptr(1)}}
			},
			wantErr: "pricing.overrides: model name must not be empty",
		},
		{
			name:    "blank litellm file",
			mutate:  func(c *Config) { c.Pricing.LiteLLMFile = "  " },
			wantErr: "pricing.litellm_file: path must not be blank",
		},
		{
			name:    "pseudonymize without key",
			mutate:  func(c *Config) { c.Privacy.Pseudonymize.Enabled = true },
			wantErr: "privacy.pseudonymize: enabled requires key or key_env",
		},
		{
			name: "pseudonymize with both keys",
			mutate: func(c *Config) {
				c.Privacy.Pseudonymize = PseudonymizeConfig{Enabled: true, Key: "k", KeyEnv: "K"}
			},
			wantErr: "privacy.pseudonymize: set only one of key and key_env",
		},
		{
			name: "bad env name",
			mutate: func(c *Config) {
				c.Privacy.Pseudonymize = PseudonymizeConfig{Enabled: true, KeyEnv: " K"}
			},
			wantErr: "privacy.pseudonymize.key_env:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.mutate(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestValidateAcceptsDisabledPseudonymizeWithoutKey(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Privacy.Pseudonymize.KeyEnv = "UNUSED"
	assert.NoError(t, confmap.Validate(cfg))
}
