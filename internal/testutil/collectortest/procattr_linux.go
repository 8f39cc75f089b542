package collectortest

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill the collector if the test process dies
// (timeout, panic, SIGKILL), so that no collector outlives its test.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
