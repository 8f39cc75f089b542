//go:build unix && !linux

package pgtest

import "syscall"

// sysProcAttr puts the child into its own process group and runs it as u (if
// set). There is no parent-death signal outside Linux: a server orphaned by a
// killed test process is stopped by the next test process (removeStaleDirs).
func sysProcAttr(u *sysUser, _ syscall.Signal) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if u != nil {
		a.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid}
	}
	return a
}
