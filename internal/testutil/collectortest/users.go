package collectortest

import "encoding/json"

// UsersPage is one page of the REST API's users list
// (GET /api/v1/observability/users/), reduced to what the end-to-end tests
// compare.
type UsersPage struct {
	Count   int         `json:"count"`
	Results []UserTotal `json:"results"`
}

// UserTotal is one user's lifetime totals in the users list. The cost stays
// a json.Number so that tests compare the decimal the API wrote.
type UserTotal struct {
	UserID      string      `json:"user_id"`
	RunCount    int64       `json:"run_count"`
	TotalTokens int64       `json:"total_tokens"`
	TotalCost   json.Number `json:"total_cost"`
}
