package api

// SetCSVPageForTest sets how many sessions one read of a CSV export
// returns, and returns a function that restores it.
func SetCSVPageForTest(page int) func() {
	old := csvPage
	csvPage = page
	return func() { csvPage = old }
}
