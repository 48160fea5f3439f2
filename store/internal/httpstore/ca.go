package httpstore

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
)

// ClientWithCA is the client a backend uses (see newHTTPClient) trusting only the
// certificate authorities of the PEM file caFile, as the AWS CLI's ca_bundle and git's
// http.sslCAInfo do: a bundle replaces the system's roots, it does not add to them
// (corporate bundles that want both ship both).
func ClientWithCA(caFile string) (*http.Client, error) {
	pool, err := LoadCABundle(caFile)
	if err != nil {
		return nil, err
	}
	hc := newHTTPClient()
	hc.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return hc, nil
}

// ClientFor is the client a backend's configuration asks for: hc when it gives one,
// else a client trusting caFile when that is set (ClientWithCA), else nil (New makes the
// default client).
func ClientFor(hc *http.Client, caFile string) (*http.Client, error) {
	if hc != nil || caFile == "" {
		return hc, nil
	}
	return ClientWithCA(caFile)
}

// LoadCABundle reads a PEM file of CA certificates; a file without one is an error, so
// a wrong path or a DER file is reported rather than failing every handshake later.
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
