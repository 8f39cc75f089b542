//go:build !unix

package pgtest

import "errors"

var errNoLocal = errors.New("a private PostgreSQL server is only supported on Unix; set " + EnvDSN)

type sysUser struct{}

type postmaster struct{}

func BinDir() (string, error)                   { return "", errNoLocal }
func newLocal(PrivateConfig) (*Instance, error) { return nil, errNoLocal }
func (in *Instance) PID() int                   { return 0 }
func (in *Instance) startLocal() error          { return errNoLocal }
func (in *Instance) stopLocal(string) error     { return errNoLocal }
func (in *Instance) shutdown() error            { return nil }
