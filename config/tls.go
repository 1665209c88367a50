package config

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// TLS holds settings of the proxy's mutual-TLS listeners.
type TLS struct {
	// Curves are the key exchanges the proxy accepts, most preferred first,
	// by their IANA names (see Curves). Empty keeps Go's defaults, which put
	// the hybrid post-quantum X25519MLKEM768 first. Restricting them to
	// x25519 trades post-quantum protection for handshakes per core.
	Curves []string `yaml:"curves,omitempty"`
	// MinVersion is the oldest TLS version the proxy accepts: "1.3", the
	// default, or "1.2". Under TLS 1.2 a client sends its certificate, which
	// names the user, the grant and the resource, unencrypted; allow it only
	// for clients that cannot do TLS 1.3.
	MinVersion string `yaml:"min_version,omitempty"`
}

// tlsVersions maps the accepted min_version values to crypto/tls versions.
var tlsVersions = map[string]uint16{"1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

// Version returns MinVersion as a crypto/tls version, TLS 1.3 when it is
// empty. Validate has checked it.
func (t TLS) Version() uint16 {
	if v, ok := tlsVersions[t.MinVersion]; ok {
		return v
	}
	return tls.VersionTLS13
}

// curves maps the IANA TLS Supported Groups names, lower-cased, to the key
// exchanges crypto/tls implements.
var curves = map[string]tls.CurveID{
	"x25519mlkem768":     tls.X25519MLKEM768,
	"secp256r1mlkem768":  tls.SecP256r1MLKEM768,
	"secp384r1mlkem1024": tls.SecP384r1MLKEM1024,
	"x25519":             tls.X25519,
	"secp256r1":          tls.CurveP256,
	"secp384r1":          tls.CurveP384,
	"secp521r1":          tls.CurveP521,
}

// curveNames lists the accepted names for error messages.
const curveNames = "X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, " +
	"x25519, secp256r1, secp384r1 or secp521r1"

// CurveIDs returns Curves as crypto/tls key exchanges, nil when Curves is
// empty. Validate has checked every name.
func (t TLS) CurveIDs() []tls.CurveID {
	ids, _ := curveIDs(t.Curves)
	return ids
}

// ParseCurves turns IANA key exchange names, in any case, into crypto/tls
// key exchanges; nil for no names. It refuses an unknown or repeated name.
func ParseCurves(names []string) ([]tls.CurveID, error) {
	ids, bad := curveIDs(names)
	if bad >= 0 {
		return nil, fmt.Errorf("curve %q: want %s, each once", names[bad], curveNames)
	}
	return ids, nil
}

// curveIDs returns the key exchanges of names and -1, or the index of the
// first unknown or repeated name.
func curveIDs(names []string) ([]tls.CurveID, int) {
	if len(names) == 0 {
		return nil, -1
	}
	ids := make([]tls.CurveID, 0, len(names))
	for i, name := range names {
		id, ok := curves[strings.ToLower(name)]
		if !ok || slices.Contains(ids, id) {
			return nil, i
		}
		ids = append(ids, id)
	}
	return ids, -1
}

func (t TLS) validate() error {
	if _, bad := curveIDs(t.Curves); bad >= 0 {
		key := fmt.Sprintf("tls.curves[%d]", bad)
		return invalid(key, t.Curves[bad], curveNames+", each once")
	}
	if _, ok := tlsVersions[t.MinVersion]; t.MinVersion != "" && !ok {
		return invalid("tls.min_version", t.MinVersion, `"1.3" or "1.2"`)
	}
	return nil
}
