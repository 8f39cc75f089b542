package pgtest

import "syscall"

// sysProcAttr puts the child into its own process group (so terminal signals
// reach only the test process), runs it as u (if set), and has the kernel send
// it deathSig when the forking thread of the test process dies.
func sysProcAttr(u *sysUser, deathSig syscall.Signal) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: deathSig}
	if u != nil {
		a.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid}
	}
	return a
}
