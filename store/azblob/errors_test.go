package azblob_test

import (
	"net/url"
	"strings"
	"testing"

	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
	"git-remote-object-store/store/azblob"
)

// A container or account that does not exist is said in the user's words, the same for
// every operation (each would fail alike); neither is "not found", which would make an
// engine take the remote for an empty one.
func TestMissingContainerAndAccountWords(t *testing.T) {
	cfg := testenv.AzureContainer(t)
	server, err := url.Parse(cfg.Endpoint) // Azurite: http://127.0.0.1:port/<account>
	if err != nil {
		t.Fatal(err)
	}
	account := strings.Trim(server.Path, "/")
	server.Path = ""

	noContainer := cfg
	noContainer.Container = "never-created"
	noAccount := cfg
	noAccount.Endpoint = server.String() + "/nosuchaccount"
	for _, c := range []struct {
		name string
		cfg  azblob.Config
		want string
	}{
		{"container", noContainer, "container 'never-created' does not exist in account '" + account + "' (HTTP 404 ContainerNotFound); create it, or fix the URL"},
		{"account", noAccount, "no storage account 'nosuchaccount' at " + server.String() + " (HTTP 404 ResourceNotFound); check the account name in the URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := azblob.New(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, _, getErr := st.Get(t.Context(), "repo/FORMAT", nil)
			_, headErr := st.Head(t.Context(), "repo/FORMAT")
			listErr := st.List(t.Context(), "repo/", func(store.Info) error { return nil })
			_, putErr := st.Put(t.Context(), "repo/x", strings.NewReader("x"), 1, store.Cond{IfNoneMatch: true})
			for op, err := range map[string]error{"get": getErr, "head": headErr, "list": listErr, "put": putErr} {
				if err == nil || err.Error() != c.want {
					t.Errorf("%s:\n got  %v\n want %s", op, err, c.want)
				}
				if store.IsNotFound(err) {
					t.Errorf("%s is ErrNotFound", op)
				}
			}
		})
	}
}
