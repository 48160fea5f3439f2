package store

import (
	"net"
	"net/http"
	"time"
)

// HTTPClient returns the client every cloud backend uses: bounded connect, TLS and
// response-header timeouts (a stalled server fails instead of hanging git), no redirects
// (a redirect would replay a signature made for another URL; the backend reads the 301/307
// itself, e.g. for S3 region discovery), and no transparent compression (byte ranges and
// content hashes must mean the stored bytes).
func HTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   32,
		DisableCompression:    true,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
