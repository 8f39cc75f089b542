package store

import "context"

// UserLister reads a page of the users list.
type UserLister interface {
	ListUsers(ctx context.Context, q UserQuery) (UserPage, error)
}

// FillLifetimeOverviewUsers fills the unique users, top users and outliers
// of an all-time overview from the users list, whose sort indexes answer
// each list with one page.
func FillLifetimeOverviewUsers(ctx context.Context, l UserLister, q OverviewQuery, out *Overview) error {
	top, outliers := q.OverviewLists()
	p, err := l.ListUsers(ctx, UserQuery{Sort: SortTotalCost, Desc: true, Limit: top})
	if err != nil {
		return err
	}
	out.UniqueUsers, out.TopUsers = p.Count, p.Users
	for _, o := range []struct {
		above *int64
		sort  string
		dst   *[]UserSummary
	}{{q.RunCountAbove, SortRunCount, &out.HighRunCount}, {q.TokensAbove, SortTotalTokens, &out.HighTokens}} {
		if o.above == nil {
			continue
		}
		p, err := l.ListUsers(ctx, UserQuery{Sort: o.sort, Desc: true, Above: o.above, Limit: outliers, NoCount: true})
		if err != nil {
			return err
		}
		*o.dst = p.Users
	}
	out.TrimOutliers()
	return nil
}

// OverviewList is one user list of an overview and the field it is sorted by
// (descending).
type OverviewList struct {
	Dst   *[]UserSummary
	Field string
}

// Lists are o's user lists in a fixed order: top users by cost, then the
// outliers by run count and by tokens.
func (o *Overview) Lists() []OverviewList {
	return []OverviewList{{&o.TopUsers, SortTotalCost}, {&o.HighRunCount, SortRunCount}, {&o.HighTokens, SortTotalTokens}}
}

// TrimOutliers keeps only the ids and window sums of o's outliers
// (Overview.HighRunCount).
func (o *Overview) TrimOutliers() {
	for _, l := range []*[]UserSummary{&o.HighRunCount, &o.HighTokens} {
		for i, u := range *l {
			(*l)[i] = UserSummary{UserID: u.UserID, RunCount: u.RunCount, TotalDuration: u.TotalDuration,
				TotalCost: u.TotalCost, TotalTokens: u.TotalTokens}
		}
	}
}
