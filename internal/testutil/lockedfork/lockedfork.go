// Package lockedfork starts child processes whose parent-death signal
// (Linux Pdeathsig, set by the caller in cmd.SysProcAttr) fires when the
// test process dies, and not before.
//
// The parent-death signal fires when the *thread* that forked the child
// exits, and a thread exits when a goroutine locked to it ends (pgtest does
// that whenever PostgreSQL stops). So the child is forked from a goroutine
// locked to its own thread, which lives exactly as long as the child.
package lockedfork

import (
	"fmt"
	"os/exec"
	"runtime"
)

// Start starts cmd; the channel receives cmd.Wait's result when the child
// has exited.
func Start(cmd *exec.Cmd) (<-chan error, error) {
	exited := make(chan error, 1)
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		exited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("cannot start %s: %w", cmd.Path, err)
	}
	return exited, nil
}
