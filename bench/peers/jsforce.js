// What a Salesforce token monitor built on jsforce ships: the browser build of
// `jsforce/core` (not the full entry, which adds Bulk, Metadata, Streaming...),
// an OAuth2 client for the PKCE web server flow, and a Connection that refreshes
// its own access token. The benchmark measures module evaluation only.
import { OAuth2, Connection } from 'jsforce/core';

const oauth2 = new OAuth2({
  loginUrl: 'https://login.salesforce.com',
  clientId: 'tokenwatch-bench',
  redirectUri: 'https://example.invalid/callback',
  useVerifier: true, // PKCE (RFC 7636)
});

/** Authorization URL, code exchange and refresh: the whole token lifecycle. */
export async function monitor(code, refreshToken) {
  const url = oauth2.getAuthorizationUrl({ scope: 'api refresh_token' });
  const tokens = code ? await oauth2.requestToken(code) : await oauth2.refreshToken(refreshToken);
  const conn = new Connection({
    oauth2,
    instanceUrl: tokens.instance_url,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token ?? refreshToken,
  });
  conn.on('refresh', () => {});
  return { url, conn };
}
