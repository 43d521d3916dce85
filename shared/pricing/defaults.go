package pricing

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// defaultsJSON is the built-in card set. A string, so nothing can change it.
//
//go:embed defaults.json
var defaultsJSON string

// Defaults returns the built-in, dated rate cards shipped in the binary, so
// that local runs price invocations with no network: AWS Lambda in
// us-east-1, us-west-2, eu-west-1 and ap-northeast-1 (x86_64 and arm64),
// Azure Functions Consumption and Flex Consumption in eastus, westeurope and
// westus2, and Google Cloud Run functions and 1st gen in us-central1 and
// europe-west1 (Tier 1) and asia-east2 (Tier 2). Each card's Source names the
// provider's pricing page and the date its list prices were established, and
// its EffectiveDate is that date. The cards are sealed, and fresh on every
// call: callers may change them.
func Defaults() []Card {
	cards, err := parseDefaults(defaultsJSON)
	if err != nil {
		// defaults.json is part of the source; the tests read it.
		panic(err)
	}
	return cards
}

// parseDefaults decodes and seals a card set.
func parseDefaults(text string) ([]Card, error) {
	var set struct {
		Cards []Card `json:"cards"`
	}
	if err := json.Unmarshal([]byte(text), &set); err != nil {
		return nil, fmt.Errorf("decode built-in rate cards: %w", err)
	}
	for i := range set.Cards {
		set.Cards[i].Seal()
	}
	return set.Cards, nil
}

// Find returns the card of cards with key k, the first if several have it.
func Find(cards []Card, k Key) (Card, bool) {
	for _, c := range cards {
		if c.KeyOf() == k {
			return c, true
		}
	}
	return Card{}, false
}
