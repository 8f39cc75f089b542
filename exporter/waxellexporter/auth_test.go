package waxellexporter

import (
	"context"
	"net/http"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/bearertokenauthextension"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/extension"
)

// extHost is a host with extensions, as the collector's service is.
type extHost struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h *extHost) GetExtensions() map[component.ID]component.Component { return h.exts }

// TestAPIBearerTokenAuth serves the API behind the bearertokenauth
// extension, configured as in the README:
//
//	extensions:
//	  bearertokenauth:
//	    token: ${env:WAXELL_API_TOKEN}
//	exporters:
//	  waxell:
//	    api:
//	      endpoint: localhost:8480
//	      auth:
//	        authenticator: bearertokenauth
//
// No token and a wrong token get 401; the right token gets the answer, on
// every endpoint.
func TestAPIBearerTokenAuth(t *testing.T) {
	ctx := context.Background()
	const token = "s3cret-t0ken"

	f := bearertokenauthextension.NewFactory()
	ecfg := f.CreateDefaultConfig().(*bearertokenauthextension.Config)
	ecfg.BearerToken = token
	authID := component.NewID(f.Type())
	auth, err := f.Create(ctx, extension.Settings{ID: authID, TelemetrySettings: componenttest.NewNopTelemetrySettings(),
		BuildInfo: component.NewDefaultBuildInfo()}, ecfg)
	require.NoError(t, err)
	host := &extHost{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{authID: auth}}
	require.NoError(t, auth.Start(ctx, host))
	defer func() { require.NoError(t, auth.Shutdown(ctx)) }()

	env := newTestEnv(t)
	cfg := sqliteConfig(t)
	cfg.API.Get().Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: authID}})
	exp, err := NewFactory().CreateTraces(ctx, env.set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, host))
	defer func() { require.NoError(t, exp.Shutdown(ctx)) }()
	require.NoError(t, exp.ConsumeTraces(ctx, canonicalTraces(1, "alice")))

	base := "http://" + cfg.API.Get().NetAddr.Endpoint
	do := func(path, authorization string) int {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, http.NoBody)
		require.NoError(t, err)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, res.Body.Close())
		return res.StatusCode
	}
	for _, path := range []string{
		"/api/v1/observability/users/",
		"/api/v1/observability/users/alice/",
		"/api/v1/observability/users/alice/?scope=window&start=2026-09-01",
		"/api/v1/observability/users/alice/timeseries/?start=2026-09-01&end=2026-09-02",
		"/api/v1/observability/users/?format=csv",
		"/api/v1/observability/sessions/",
		"/api/v1/observability/sessions/sess-1/",
		"/api/v1/observability/overview/",
		"/api/v1/openapi.json",
	} {
		assert.Equal(t, http.StatusUnauthorized, do(path, ""), "no token: %s", path)
		assert.Equal(t, http.StatusUnauthorized, do(path, "Bearer wrong-token"), "wrong token: %s", path)
		assert.Equal(t, http.StatusUnauthorized, do(path, token), "token without scheme: %s", path)
		assert.Equal(t, http.StatusOK, do(path, "Bearer "+token), "right token: %s", path)
	}
}
