package pricing

import "testing"

func TestBaseName(t *testing.T) {
	def := mustDefault(t)
	// A configured snapshot price is its own entry, so its calls stay apart.
	snapshot := def.With(map[string]Price{"gpt-4o-2024-11-20": {Input: 1, Output: 2}, "acme-llm": {Input: 1}})
	cases := []struct {
		name, model, want string
		table             *Table
	}{
		{"base name", "gpt-4o", "gpt-4o", def},
		{"dated OpenAI snapshot", "gpt-4o-2024-08-06", "gpt-4o", def},
		{"provider prefix", "openai/gpt-4o", "gpt-4o", def},
		{"prefix and date", "openai/gpt-4o-mini-2024-07-18", "gpt-4o-mini", def},
		{"case", "GPT-4o", "gpt-4o", def},
		{"alias", "claude-sonnet-4.5", "claude-sonnet-4-5", def},
		{"Anthropic date", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5", def},
		{"Bedrock id", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5", def},
		{"Vertex path", "models/gemini-2.5-flash", "gemini-2.5-flash", def},
		{"snapshot with a list price of its own", "gpt-4o-2024-05-13", "gpt-4o-2024-05-13", def},
		{"unknown stays as reported", "Acme-Finetune-7B", "Acme-Finetune-7B", def},
		{"unpriced Bedrock model stays as reported", "us.amazon.nova-pro-v1:0", "us.amazon.nova-pro-v1:0", def},
		{"fine-tune stays as reported", "ft:gpt-4o-mini-2024-07-18:org::abc", "ft:gpt-4o-mini-2024-07-18:org::abc", def},
		{"OpenRouter free variant stays as reported", "openai/gpt-4o:free", "openai/gpt-4o:free", def},
		{"a family it must not reach", "gpt-4o-realtime-preview", "gpt-4o-realtime-preview", def},
		{"empty", "", "", def},
		{"configured snapshot", "gpt-4o-2024-11-20", "gpt-4o-2024-11-20", snapshot},
		{"other snapshots still group", "gpt-4o-2024-08-06", "gpt-4o", snapshot},
		{"configured extra model", "openai/acme-llm", "acme-llm", snapshot},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.table.BaseName(c.model); got != c.want {
				t.Errorf("BaseName(%q) = %q, want %q", c.model, got, c.want)
			}
			// Grouping never changes the price: the base name costs the same.
			u := Usage{Input: 1000, Output: 100}
			n1, _, ok1 := c.table.Cost(c.model, u)
			n2, _, ok2 := c.table.Cost(c.table.BaseName(c.model), u)
			if n1 != n2 || ok1 != ok2 {
				t.Errorf("Cost(%q) = %d, %t but Cost(BaseName) = %d, %t", c.model, n1, ok1, n2, ok2)
			}
		})
	}
}
