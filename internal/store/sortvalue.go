package store

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
