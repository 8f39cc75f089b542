package exactness

import (
	"context"
	"testing"
	"time"
)

func TestZZTiming(t *testing.T) {
	sets := allSets(t)
	set := sets[len(sets)-2]
	t.Log(set.name, len(set.refs))
	for _, bk := range backends {
		b := bk.new(t)
		c := newAPIClient(t)
		run := &runner{set: set, pipe: newPipeline(t)}
		var tFresh, tApply, tView, tVerify, tRelease time.Duration
		n := 200
		for i := 0; i < n; i++ {
			t0 := time.Now()
			var st spanStore
			if pb, ok := b.(*postgresBackend); ok && i > 0 {
				_, err := pb.admin.Exec(context.Background(), "DELETE FROM traces; DELETE FROM spans; DELETE FROM runs; DELETE FROM calls; DELETE FROM users; DELETE FROM user_models; DELETE FROM user_agents; DELETE FROM user_hours; DELETE FROM user_model_hours")
				if err != nil { t.Fatal(err) }
				st = pb.st
			} else {
				st = b.fresh(t)
			}
			c.cur.set(st)
			t1 := time.Now()
			run.run(t, st, run.whole(), -1, nil)
			t2 := time.Now()
			c.view(t)
			t3 := time.Now()
			c.verify(t, "")
			t4 := time.Now()
			b.release(t, st)
			t5 := time.Now()
			tFresh += t1.Sub(t0); tApply += t2.Sub(t1); tView += t3.Sub(t2); tVerify += t4.Sub(t3); tRelease += t5.Sub(t4)
		}
		if pb, ok := b.(*postgresBackend); ok {
			t0 := time.Now()
			for i := 0; i < n; i++ {
				_, err := pb.admin.Exec(context.Background(), "DELETE FROM traces; DELETE FROM spans; DELETE FROM runs; DELETE FROM calls; DELETE FROM users; DELETE FROM user_models; DELETE FROM user_agents; DELETE FROM user_hours; DELETE FROM user_model_hours")
				if err != nil { t.Fatal(err) }
			}
			t.Logf("delete: %v", time.Since(t0)/time.Duration(n))
		}
		t.Logf("%s per split: fresh %v apply %v view %v verify %v release %v", bk.name, tFresh/time.Duration(n), tApply/time.Duration(n), tView/time.Duration(n), tVerify/time.Duration(n), tRelease/time.Duration(n))
	}
}
