package main

import "syscall"

// childProcAttr makes a local cloud die with fiso dev even if fiso dev is
// killed without a chance to clean up.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
