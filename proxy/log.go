package proxy

import "go.uber.org/zap"

// Keys of the proxy's log fields.
const (
	keyUser       = "user"
	keyGrant      = "grant"
	keyResource   = "resource"
	keyServerName = "server_name"
	keyReason     = "reason"
	keyRemote     = "remote"
	keyBytesIn    = "bytes_in"
	keyBytesOut   = "bytes_out"
	keyBytesSent  = "bytes_sent"
	keyBytesRecv  = "bytes_received"
	keyDuration   = "duration"
	keyListener   = "listener"
	keyAddr       = "addr"
	keyPause      = "pause"
	keyProxy      = "proxy"
)

// orNop returns log, or a logger that writes nothing when log is nil.
func orNop(log *zap.Logger) *zap.Logger {
	if log == nil {
		return zap.NewNop()
	}
	return log
}

// orNopRecorder returns rec, or a Recorder that records nothing when rec is
// nil.
func orNopRecorder(rec Recorder) Recorder {
	if rec == nil {
		return nopRecorder{}
	}
	return rec
}
