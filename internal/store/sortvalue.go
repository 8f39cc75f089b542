package store

import "sort"

// SortValue is the value of u under a sort field (one of the Sort*
// constants); unknown fields fall back to last_seen, the default sort.
func (u UserSummary) SortValue(field string) int64 {
	switch field {
	case SortFirstSeen:
		return u.FirstSeen
	case SortRunCount:
		return u.RunCount
	case SortTotalCost:
		return u.TotalCost
	case SortTotalTokens:
		return u.TotalTokens
	case SortTotalDuration:
		return u.TotalDuration
	default:
		return u.LastSeen
	}
}

// SortDesc orders users by field descending, ties by user id descending: the
// order of every descending list (one index (field, user_id) serves both
// directions).
func SortDesc(users []UserSummary, field string) {
	sort.SliceStable(users, func(i, j int) bool {
		a, b := users[i].SortValue(field), users[j].SortValue(field)
		return a > b || (a == b && users[i].UserID > users[j].UserID)
	})
}
