package api

// SetCSVPagesForTest sets the page sizes of CSV exports (lists, windowed
// users lists) and returns a function that restores them.
func SetCSVPagesForTest(page, windowPage int) func() {
	old, oldWindow := csvPage, csvWindowPage
	csvPage, csvWindowPage = page, windowPage
	return func() { csvPage, csvWindowPage = old, oldWindow }
}
