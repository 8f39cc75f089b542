package api

// SetCSVPageForTest sets the page size of CSV exports and returns a
// function that restores it.
func SetCSVPageForTest(n int) func() {
	old := csvPage
	csvPage = n
	return func() { csvPage = old }
}
