// What a Microsoft 365 token monitor built on MSAL.js ships: one public client,
// silent renewal, and the popup fallback when silent renewal needs the user.
// Nothing here touches the network until `monitor()` is called; the benchmark
// measures module evaluation only.
import { PublicClientApplication } from '@azure/msal-browser';

const SCOPES = ['https://graph.microsoft.com/User.Read', 'offline_access'];

const pca = new PublicClientApplication({
  auth: {
    clientId: '00000000-0000-0000-0000-000000000000',
    authority: 'https://login.microsoftonline.com/organizations',
  },
});

/** Renews the access token for `account`, falling back to a popup. */
export async function monitor(account) {
  await pca.initialize();
  try {
    return await pca.acquireTokenSilent({ account, scopes: SCOPES });
  } catch {
    return await pca.acquireTokenPopup({ scopes: SCOPES });
  }
}
