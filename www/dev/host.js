// host.js: a stand-in for Outlook on the web's reading view, for the add-in's demo and E2E tests.
// NEVER shipped. It keeps the mail state (the items, which one is selected, each item's
// notification messages), shows the selected item's banners as Outlook does, and pins the
// add-in's task pane on the right in an iframe whose URL is `?pane=<url>` (default
// http://127.0.0.1:17401/taskpane.html). The pane runs www/dev/office-shim.js, which forwards the
// Office.js calls the add-in makes to this page.
//
// Protocol (host page <-> pane shim), the same text as at the top of office-shim.js:
//   pane -> host  { type: 'tokenwatch-dev:hello' }                       once, on load
//   host -> pane  { type: 'tokenwatch-dev:state', item, userProfile }    the answer to hello
//                   item: { itemId, subject } | null (no item selected)
//                   userProfile: { displayName, emailAddress }
//   pane -> host  { type: 'tokenwatch-dev:rpc', id, op, itemId, key?, details? }
//                   op: 'add' | 'replace' | 'remove' | 'getAll'; itemId: the item the pane's
//                   Office.context.mailbox.item refers to (the operation applies to that item's
//                   store even if the person has moved on); details: { type, message, icon?,
//                   persistent? }
//   host -> pane  { type: 'tokenwatch-dev:rpc-result', id, ok: true, value }
//               | { type: 'tokenwatch-dev:rpc-result', id, ok: false, error: { code, name, message } }
//                   This page applies Outlook's rules and is authoritative; the shim checks the
//                   arguments first, as Office.js does, so a bad call throws in the pane.
//   host -> pane  { type: 'tokenwatch-dev:item-changed', item }           the person switched item
//   Origins: this page accepts messages only from its iframe's contentWindow and the pane URL's
//   origin, and posts with that exact targetOrigin. The shim accepts host messages only from
//   window.parent with this page's origin.
//
// Outlook's rules (learn.microsoft.com NotificationMessages, NotificationMessageDetails, "Create
// notifications for your Outlook add-in"; codes, names and texts from Office.js's
// OutlookErrorManager in outlook-web-16.01.debug.js):
//   - at most 5 messages per item: one more fails 9025 NumberOfNotificationsExceeded (the docs
//     call it NumberOfNotificationMessagesExceeded; Office.js names it as here);
//   - addAsync with a key already there fails 9023 DuplicateNotificationKey; replaceAsync replaces
//     in place, or adds (and then counts against the limit);
//   - removeAsync of a missing key fails 9024 NotificationKeyNotFound;
//   - key 1-32 characters, message 1-150, icon (1-32) and a boolean `persistent` on
//     InformationalMessage only, icon on InsightMessage; InsightMessage is compose-mode only on
//     the web, and this is a read view. Office.js throws for these in the pane; if one reaches
//     this page anyway it fails 9031 InvalidParameterValueError;
//   - a message that is not a persistent InformationalMessage is removed when the person moves
//     to another item after seeing it (an ErrorMessage "persists until the user sees it once");
//     a persistent one stays until the add-in removes it or the person dismisses it.

const HELLO = 'tokenwatch-dev:hello';
const STATE = 'tokenwatch-dev:state';
const RPC = 'tokenwatch-dev:rpc';
const RPC_RESULT = 'tokenwatch-dev:rpc-result';
const ITEM_CHANGED = 'tokenwatch-dev:item-changed';

const DEFAULT_PANE = 'http://127.0.0.1:17401/taskpane.html';
const MAX_MESSAGES = 5;
const INFORMATIONAL = 'informationalMessage';
const INSIGHT = 'insightMessage';
const TYPES = [INFORMATIONAL, 'errorMessage', 'progressIndicator', INSIGHT];

const USER_PROFILE = Object.freeze({ displayName: 'Dana Okafor', emailAddress: 'dana.okafor@contoso.example' });

const ITEMS = [
  {
    itemId: 'AAMkADev0001',
    from: 'Priya Raman',
    received: '09:42',
    subject: 'Q3 pipeline review: numbers for Thursday',
    body: [
      'Hi Dana,',
      'Could you pull the Q3 opportunity numbers from Salesforce before Thursday? The forecast '
        + 'sheet still shows last week\'s figures.',
      'Thanks, Priya',
    ],
  },
  {
    itemId: 'AAMkADev0002',
    from: 'Salesforce',
    received: '08:15',
    subject: 'Your sandbox refresh is complete',
    body: [
      'The refresh of the sandbox "uat" finished at 07:58 UTC.',
      'Connected apps in the sandbox need to be authorized again.',
    ],
  },
  {
    itemId: 'AAMkADev0003',
    from: 'Marc Lefèvre',
    received: 'Yesterday',
    subject: 'Re: Contract renewal, Acme Corp',
    body: [
      'Dana, the signed renewal is attached. Please log it against the Acme account.',
      'Marc',
    ],
  },
  {
    itemId: 'AAMkADev0004',
    from: 'IT Service Desk',
    received: 'Mon',
    subject: 'Planned maintenance this weekend',
    body: [
      'Mail and calendar will be read-only on Saturday between 22:00 and 23:00.',
      'No action is needed.',
    ],
  },
  {
    itemId: 'AAMkADev0005',
    from: 'Jonas Berg',
    received: 'Mon',
    subject: 'Lunch on Friday?',
    body: ['Are you free for lunch on Friday? The new place on Quay Street.', 'J.'],
  },
];

const ERRORS = {
  invalidSelection: () => ({ code: 9016, name: 'InvalidSelection', message: 'The selection is invalid.' }),
  duplicateKey: () => ({
    code: 9023, name: 'DuplicateNotificationKey', message: 'A notification with the provided key already exists.',
  }),
  keyNotFound: () => ({
    code: 9024, name: 'NotificationKeyNotFound', message: 'There are no notifications with the provided key.',
  }),
  tooMany: () => ({
    code: 9025,
    name: 'NumberOfNotificationsExceeded',
    message: 'The notification couldn\'t be added because the notification limit has been reached.',
  }),
  invalidParameter: (param) => ({
    code: 9031, name: 'InvalidParameterValueError', message: `The value of the '${param}' parameter is invalid.`,
  }),
};

/** itemId -> that item's messages, in the order they were added: { key, type, message, icon?, persistent?, seen }. */
const stores = new Map(ITEMS.map((item) => [item.itemId, []]));
let selectedId = ITEMS[0].itemId;

const $ = (id) => document.getElementById(id);
const iframe = $('taskpane');
const pane = resolvePane();

function resolvePane() {
  const raw = new URLSearchParams(location.search).get('pane') ?? DEFAULT_PANE;
  try {
    const url = new URL(raw, location.href);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch { /* reported below */ }
  return null;
}

const itemView = (id) => {
  const item = ITEMS.find((i) => i.itemId === id);
  return item ? { itemId: item.itemId, subject: item.subject } : null;
};

/** A message as NotificationMessages.getAllAsync returns it: icon and persistent only where they apply. */
const messageView = ({ key, type, message, icon, persistent }) => {
  const out = { key, type, message };
  if (icon !== undefined) out.icon = icon;
  if (persistent !== undefined) out.persistent = persistent;
  return out;
};

const toPane = (message) => {
  if (pane) iframe.contentWindow?.postMessage(message, pane.origin);
};

// ---- Outlook's rules ------------------------------------------------------------------------

const isNonEmptyString = (value) => typeof value === 'string' && value.length > 0;

/** The name of the first argument Outlook would refuse, or null. */
function badKey(key) {
  return isNonEmptyString(key) && key.length <= 32 ? null : 'key';
}

function badDetails(details) {
  if (!details || typeof details !== 'object') return 'JSONmessage';
  const { type, icon, persistent, message } = details;
  if (!TYPES.includes(type)) return 'type';
  if (type === INFORMATIONAL || type === INSIGHT) {
    if (!isNonEmptyString(icon) || icon.length > 32) return 'icon';
  } else if (icon !== undefined) {
    return 'icon';
  }
  if (type === INFORMATIONAL ? typeof persistent !== 'boolean' : persistent !== undefined) return 'persistent';
  if (!isNonEmptyString(message) || message.length > 150) return 'message';
  if (type === INSIGHT) return 'type';
  return null;
}

function apply({ op, itemId, key, details }) {
  const store = stores.get(itemId);
  if (!store) return { ok: false, error: ERRORS.invalidSelection() };
  if (op === 'getAll') return { ok: true, value: store.map(messageView) };
  if (op !== 'add' && op !== 'replace' && op !== 'remove') return { ok: false, error: ERRORS.invalidParameter('op') };
  const keyProblem = badKey(key);
  if (keyProblem) return { ok: false, error: ERRORS.invalidParameter(keyProblem) };
  const at = store.findIndex((m) => m.key === key);

  if (op === 'remove') {
    if (at < 0) return { ok: false, error: ERRORS.keyNotFound() };
    store.splice(at, 1);
    return { ok: true, value: undefined };
  }

  const detailsProblem = badDetails(details);
  if (detailsProblem) return { ok: false, error: ERRORS.invalidParameter(detailsProblem) };
  const entry = { key, type: details.type, message: details.message, seen: false };
  if (details.icon !== undefined) entry.icon = details.icon;
  if (details.persistent !== undefined) entry.persistent = details.persistent;
  if (at >= 0) {
    if (op === 'add') return { ok: false, error: ERRORS.duplicateKey() };
    store[at] = entry;
  } else {
    if (store.length >= MAX_MESSAGES) return { ok: false, error: ERRORS.tooMany() };
    store.push(entry);
  }
  return { ok: true, value: undefined };
}

/** What Outlook drops when the person leaves an item: everything seen but a persistent informational message. */
function leave(itemId) {
  const kept = stores.get(itemId).filter((m) => (m.type === INFORMATIONAL && m.persistent) || !m.seen);
  stores.set(itemId, kept);
}

function select(itemId) {
  if (itemId !== null && !stores.has(itemId)) throw new Error(`no item with id ${itemId}`);
  if (itemId === selectedId) return;
  if (selectedId !== null) leave(selectedId);
  selectedId = itemId;
  render();
  toPane({ type: ITEM_CHANGED, item: itemView(selectedId) });
}

function dismiss(key, itemId = selectedId) {
  const store = stores.get(itemId);
  const at = store ? store.findIndex((m) => m.key === key) : -1;
  if (at < 0) return false;
  store.splice(at, 1);
  render();
  return true;
}

// ---- rendering (text always through textContent) ---------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'text') node.textContent = value;
    else if (name === 'className') node.className = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function renderList() {
  for (const button of $('message-list').querySelectorAll('button[data-item-id]')) {
    if (button.dataset.itemId === selectedId) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
  }
  $('deselect').disabled = selectedId === null;
}

function renderBanners(store) {
  const banners = $('banners');
  banners.replaceChildren(...store.map((m) => {
    m.seen = true;
    const li = el('li', { className: `banner banner-${m.type}`, 'data-key': m.key, 'data-type': m.type });
    if (m.icon !== undefined) li.dataset.icon = m.icon;
    if (m.persistent !== undefined) li.dataset.persistent = String(m.persistent);
    li.append(el('span', { className: 'banner-icon', 'aria-hidden': 'true' }), el('span', { className: 'banner-text', text: m.message }));
    if (m.type !== 'progressIndicator') {
      const close = el('button', { type: 'button', className: 'banner-dismiss', 'aria-label': 'Dismiss', title: 'Dismiss' });
      close.addEventListener('click', () => dismiss(m.key, selectedId));
      li.append(close);
    }
    return li;
  }));
  banners.hidden = store.length === 0;
}

function render() {
  renderList();
  const item = ITEMS.find((i) => i.itemId === selectedId);
  $('no-item').hidden = Boolean(item);
  $('message').hidden = !item;
  if (!item) {
    $('banners').replaceChildren();
    return;
  }
  $('subject').textContent = item.subject;
  $('from').textContent = item.from;
  $('received').textContent = item.received;
  $('body').replaceChildren(...item.body.map((text) => el('p', { text })));
  renderBanners(stores.get(item.itemId));
}

function buildList() {
  const list = $('message-list');
  list.replaceChildren(...ITEMS.map((item) => el('li', {},
    el('button', { type: 'button', className: 'mail', 'data-item-id': item.itemId },
      el('span', { className: 'mail-from', text: item.from }),
      el('span', { className: 'mail-received', text: item.received }),
      el('span', { className: 'mail-subject', text: item.subject }),
      el('span', { className: 'mail-preview', text: item.body[0] })))));

  list.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-item-id]');
    if (button) select(button.dataset.itemId);
  });
  // As in Outlook: arrow keys move the selection, Home / End jump, Escape clears it.
  list.addEventListener('keydown', (event) => {
    const buttons = [...list.querySelectorAll('button[data-item-id]')];
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (event.key === 'Escape') {
      event.preventDefault();
      select(null);
    } else if (to !== undefined && buttons[to]) {
      event.preventDefault();
      buttons[to].focus();
      select(buttons[to].dataset.itemId);
    }
  });
  $('deselect').addEventListener('click', () => select(null));
}

// ---- the pane ---------------------------------------------------------------------------------

window.addEventListener('message', (event) => {
  if (!pane || event.source !== iframe.contentWindow || event.origin !== pane.origin) return;
  const data = event.data;
  if (!data || typeof data !== 'object') return;
  if (data.type === HELLO) {
    toPane({ type: STATE, item: itemView(selectedId), userProfile: USER_PROFILE });
  } else if (data.type === RPC) {
    const result = apply(data);
    toPane({ type: RPC_RESULT, id: data.id, ...result });
    if (result.ok && data.op !== 'getAll' && data.itemId === selectedId) render();
  }
});

/** For tests and the demo: drive the host as the person would, and read what Outlook shows. */
window.tokenwatchDev = Object.freeze({
  selectItem(itemId) { select(String(itemId)); },
  deselect() { select(null); },
  banners(itemId = selectedId) {
    if (itemId === null) return [];
    const store = stores.get(String(itemId));
    if (!store) throw new Error(`no item with id ${itemId}`);
    return store.map(messageView);
  },
  /** The person's Dismiss on a banner of the selected item (or of `itemId`). */
  dismiss(key, itemId = selectedId) { return dismiss(String(key), itemId); },
});

buildList();
render();
if (pane) {
  $('pane-origin').textContent = pane.origin;
  iframe.src = pane.href;
} else {
  $('pane-origin').textContent = 'invalid ?pane= URL';
  iframe.hidden = true;
}
