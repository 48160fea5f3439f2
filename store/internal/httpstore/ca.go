package httpstore

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"

	"git-remote-object-store/store"
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
	return ClientWithRoots(pool), nil
}

// ClientWithRoots is the client a backend uses trusting only the authorities of pool.
func ClientWithRoots(pool *x509.CertPool) *http.Client {
	hc := newHTTPClient()
	hc.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return hc
}

// ClientFor is the client a backend's configuration asks for: hc when it gives one,
// else a client trusting roots when that is set (ClientWithRoots), else one trusting
// caFile when that is set (ClientWithCA), else nil (New makes the default client).
func ClientFor(hc *http.Client, roots *x509.CertPool, caFile string) (*http.Client, error) {
	switch {
	case hc != nil:
		return hc, nil
	case roots != nil:
		return ClientWithRoots(roots), nil
	case caFile != "":
		return ClientWithCA(caFile)
	}
	return nil, nil
}

// LoadCABundle reads a PEM file of CA certificates (store.LoadCABundle).
func LoadCABundle(caFile string) (*x509.CertPool, error) { return store.LoadCABundle(caFile) }
