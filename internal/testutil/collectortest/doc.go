// Package collectortest runs the real otelcol-waxell binary in tests: it
// builds the binary once, finds free ports, writes the configuration, starts,
// restarts, stops and kills the process, captures its log and polls its
// endpoints until it is ready.
//
// A test package builds (or finds) the binary in TestMain and launches
// processes from its tests:
//
//	var binary string
//
//	func TestMain(m *testing.M) {
//		os.Exit(collectortest.Main("e2e", filepath.Join("..", ".."), []string{"WAXELL_E2E_BINARY"},
//			func(_, bin string) int {
//				binary = bin
//				return m.Run()
//			}))
//	}
//
//	func TestX(t *testing.T) {
//		p, ports := collectortest.Launch(t, 3, func(ports []int) collectortest.Spec {
//			return collectortest.Spec{Binary: binary, Config: ..., Ready: ...}
//		})
//		code, body, err := p.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/observability/users/", ports[2]))
//	}
//
// The package knows nothing about the configuration's content: each test
// package writes its own, from the ports it is given. Processes get the
// Linux parent-death signal SIGKILL, so none outlives a test process that
// dies, and every process still running when its test ends is stopped.
// Tools that run the collector outside a test start it with [StartCmd].
package collectortest
