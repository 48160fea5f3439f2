package store

import (
	"crypto/x509"
	"fmt"
	"os"
)

// LoadCABundle reads a PEM file of certificate authorities (AWS_CA_BUNDLE, git's
// http.sslCAInfo…) into a pool that replaces the system's roots for a remote's
// requests: the store's own and the credential requests made for it. A file without a
// certificate is an error, so a wrong path or a DER file is reported rather than
// failing every handshake later.
func LoadCABundle(caFile string) (*x509.CertPool, error) {
	data, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("CA bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("CA bundle %s holds no PEM certificate (a DER file must be converted: openssl x509 -inform der -in FILE)", caFile)
	}
	return pool, nil
}
