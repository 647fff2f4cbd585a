// What a token monitor built on oauth4webapi ships: the PKCE authorization code
// flow (RFC 7636) and refresh (RFC 6749 §6) for a public client, with static
// authorization server metadata. The benchmark measures module evaluation only.
import * as oauth from 'oauth4webapi';

const as = {
  issuer: 'https://login.salesforce.com',
  authorization_endpoint: 'https://login.salesforce.com/services/oauth2/authorize',
  token_endpoint: 'https://login.salesforce.com/services/oauth2/token',
};
const client = { client_id: 'tokenwatch-bench' };
const clientAuth = oauth.None();
const redirectUri = 'https://example.invalid/callback';

/** Starts the flow: returns the authorization URL and the verifier to keep. */
async function authorize() {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  return { url, verifier, state };
}

/**
 * Refresh when `refreshToken` is given, code exchange when `callbackUrl` is,
 * otherwise a new authorization URL.
 */
export async function monitor({ callbackUrl, verifier, state, refreshToken } = {}) {
  if (!callbackUrl && !refreshToken) return authorize();
  if (callbackUrl) {
    const params = oauth.validateAuthResponse(as, client, new URL(callbackUrl), state);
    const res = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, verifier);
    return oauth.processAuthorizationCodeResponse(as, client, res);
  }
  const res = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken);
  return oauth.processRefreshTokenResponse(as, client, res);
}
