// A real, OpenID-certified OAuth 2.0 server (panva/oidc-provider) for scimkit's interop tier.
// It enforces RFC 6749 §2.3.1: Basic credentials must be form-urlencoded before base64.
// Usage: PORT=... node oidc-provider.mjs
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const common = {
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  scope: 'api:read api:write',
};
const provider = new Provider(issuer, {
  clients: [
    {
      ...common,
      client_id: 'basic client',
      client_secret: 'p@ss:w0rd/&=+ %~',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      ...common,
      client_id: 'post-client',
      client_secret: 'p0st s3cret&=',
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
  },
  scopes: ['api:read', 'api:write'],
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
