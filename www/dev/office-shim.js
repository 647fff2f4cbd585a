// office-shim.js: a stand-in for Office.js in the add-in's dev/test build. NEVER shipped.
//
// Outlook cannot run on the build machine, so the dev/test build of the add-in loads this classic
// script where the shipped pages load https://appsforoffice.microsoft.com/lib/1/hosted/office.js.
// It defines `window.Office` with the subset of Office.js the add-in uses, with Office.js's
// semantics: the same enum values, AsyncResult shape, error codes, names and messages, and the
// same synchronous argument checks (Office.js throws, it does not call back, when a key or a
// message is too long). The mail state (items, selection, notification messages) lives in the
// host page (www/dev/index.html + host.js), which stands in for Outlook on the web and shows the
// banners; this script talks to it over postMessage.
//
// The script runs in one of three modes:
//   pane       inside a frame (window.parent !== window): the task pane, talks to the host page.
//   dialog     a top-level window with an opener: a page opened by displayDialogAsync.
//   standalone neither: onReady resolves { host: null, platform: null }, as Office.js does
//              outside Office.
//
// Protocol (host page <-> pane shim), the same text as at the top of host.js:
//   pane -> host  { type: 'tokenwatch-dev:hello' }                       once, on load
//   host -> pane  { type: 'tokenwatch-dev:state', item, userProfile }    the answer to hello
//                   item: { itemId, subject } | null (no item selected)
//                   userProfile: { displayName, emailAddress }
//   pane -> host  { type: 'tokenwatch-dev:rpc', id, op, itemId, key?, details? }
//                   op: 'add' | 'replace' | 'remove' | 'getAll'; itemId: the item the pane's
//                   Office.context.mailbox.item refers to (the host applies the operation to that
//                   item's store even if the person has moved on); details: { type, message,
//                   icon?, persistent? }
//   host -> pane  { type: 'tokenwatch-dev:rpc-result', id, ok: true, value }
//               | { type: 'tokenwatch-dev:rpc-result', id, ok: false, error: { code, name, message } }
//                   The host applies Outlook's rules and is authoritative; this shim checks the
//                   arguments first, as Office.js does, so a bad call throws before any message.
//   host -> pane  { type: 'tokenwatch-dev:item-changed', item }           the person switched item
//   Origins: the host accepts messages only from its iframe's contentWindow and the pane URL's
//   origin, and posts with that exact targetOrigin. The shim accepts host messages only from
//   window.parent with the host's origin (location.ancestorOrigins[0], else document.referrer's
//   origin) and posts with that origin as targetOrigin.
//
// Protocol (dialog window <-> the pane that opened it):
//   dialog -> pane  { type: 'tokenwatch-dev:dialog-message', message }   Office.context.ui.messageParent
//                     posted to window.opener with targetOrigin options.targetOrigin, else the
//                     dialog's own origin. The pane accepts it only when event.source is the
//                     window it opened, and hands the add-in event.origin unchanged.
//   pane -> dialog  { type: 'tokenwatch-dev:parent-message', message }   Dialog.messageChild
//
// Sources: learn.microsoft.com (javascript/api/office, javascript/api/outlook, office/dev/add-ins)
// and Office.js itself (outlook-web-16.01.debug.js: NotificationMessages validation and the
// OutlookErrorManager codes; OSF.DDA.ErrorCodeManager and the en-us Strings.OfficeOM texts).
(() => {
  'use strict';

  const HELLO = 'tokenwatch-dev:hello';
  const STATE = 'tokenwatch-dev:state';
  const RPC = 'tokenwatch-dev:rpc';
  const RPC_RESULT = 'tokenwatch-dev:rpc-result';
  const ITEM_CHANGED = 'tokenwatch-dev:item-changed';
  const DIALOG_MESSAGE = 'tokenwatch-dev:dialog-message';
  const PARENT_MESSAGE = 'tokenwatch-dev:parent-message';

  const AsyncResultStatus = Object.freeze({ Succeeded: 'succeeded', Failed: 'failed' });
  const EventType = Object.freeze({
    DialogMessageReceived: 'dialogMessageReceived',
    DialogEventReceived: 'dialogEventReceived',
    DialogParentMessageReceived: 'dialogParentMessageReceived',
    ItemChanged: 'olkItemSelectedChanged',
  });
  const ItemNotificationMessageType = Object.freeze({
    InformationalMessage: 'informationalMessage',
    ErrorMessage: 'errorMessage',
    ProgressIndicator: 'progressIndicator',
    InsightMessage: 'insightMessage',
  });

  // Office.js's error table for the codes this shim can return itself (OSF.DDA.ErrorCodeManager,
  // en-us strings). The notification codes (9016, 9023-9025, 9031) come from the host page.
  const DIALOG_ERROR = 'Display Dialog Error';
  const ERRORS = {
    12000: ['Index out of range.', 'Index out of range.'],
    12001: ['Index out of range.', 'Index out of range.'],
    12004: [DIALOG_ERROR, 'The domain of the URL is not included in the AppDomains element in the manifest.'],
    12005: [DIALOG_ERROR, 'The HTTP protocol is not supported. Use HTTPS instead'],
    12007: [DIALOG_ERROR, 'The operation failed because this add-in already has an active dialog.'],
    12009: [DIALOG_ERROR, 'The user chose to ignore the dialog box.'],
  };
  const officeError = (code) => ({ code, name: ERRORS[code][0], message: ERRORS[code][1] });

  // Office.js throws Microsoft Ajax errors for bad arguments (Error.argument, ...OutOfRange,
  // ...Type); these carry the same names and message shape.
  const sysError = (name, text, param) => {
    const error = new Error(`${name}: ${text}\nParameter name: ${param}`);
    error.name = name;
    error.paramName = param;
    return error;
  };
  const argumentError = (param, text = 'Value does not fall within the expected range.') =>
    sysError('Sys.ArgumentException', text, param);
  const outOfRange = (param) =>
    sysError('Sys.ArgumentOutOfRangeException', 'Specified argument was out of the range of valid values.', param);
  const argumentType = (param) =>
    sysError('Sys.ArgumentTypeException', 'Object cannot be converted to the required type.', param);

  /** An Office.AsyncResult: `error` only when it failed, `value` only when it succeeded. */
  const asyncResult = (value, error, asyncContext) => (error
    ? { status: AsyncResultStatus.Failed, value: undefined, error, asyncContext }
    : { status: AsyncResultStatus.Succeeded, value, error: undefined, asyncContext });

  /** Calls the add-in's function; an exception in it is reported, not allowed to stop the shim. */
  const invoke = (fn, arg) => {
    try { fn(arg); } catch (error) { setTimeout(() => { throw error; }); }
  };

  /** Office calls back asynchronously, even when it fails before reaching the host. */
  const callBack = (callback, result) => {
    if (typeof callback === 'function') setTimeout(() => invoke(callback, result));
  };

  /** Office's optional trailing arguments: `[options], [callback]`. */
  function optionalArgs(args) {
    let options = {};
    let callback;
    for (const arg of args) {
      if (typeof arg === 'function' && callback === undefined) callback = arg;
      else if (arg && typeof arg === 'object' && callback === undefined) options = arg;
      else if (arg !== undefined && arg !== null) throw argumentError('options');
    }
    return { options, asyncContext: options.asyncContext, callback };
  }

  // Outlook's checks, in Outlook's order (NotificationMessages._validateKey / _validateDictionary
  // in outlook-web-16.01.debug.js; learn.microsoft.com NotificationMessages and
  // NotificationMessageDetails): a key of 1-32 characters; an InformationalMessage needs an icon
  // (1-32 characters) and a boolean `persistent`; an InsightMessage needs an icon and no
  // `persistent`; ProgressIndicator and ErrorMessage take neither; a message of 1-150 characters.
  // host.js applies the same rules again, as the authority.
  const isNonEmptyString = (value) => typeof value === 'string' && value.length > 0;
  const TYPES = Object.values(ItemNotificationMessageType);

  function validateKey(key) {
    if (!isNonEmptyString(key)) throw argumentError('key');
    if (key.length > 32) throw outOfRange('key');
  }

  function validateDetails(details) {
    if (!details || typeof details !== 'object') throw argumentError('JSONmessage');
    const { type } = details;
    if (!isNonEmptyString(type)) throw argumentError('type');
    if (type === ItemNotificationMessageType.InformationalMessage) {
      if (!isNonEmptyString(details.icon)) throw argumentError('icon');
      if (details.icon.length > 32) throw outOfRange('icon');
      if (details.persistent === undefined) throw argumentError('persistent');
      if (typeof details.persistent !== 'boolean') throw argumentType('persistent');
      if (details.actions !== undefined) throw argumentError('actions');
    } else if (type === ItemNotificationMessageType.InsightMessage) {
      if (!isNonEmptyString(details.icon)) throw argumentError('icon');
      if (details.icon.length > 32) throw outOfRange('icon');
      if (details.persistent !== undefined) throw argumentError('persistent');
    } else {
      if (details.icon !== undefined) throw argumentError('icon');
      if (details.persistent !== undefined) throw argumentError('persistent');
      if (details.actions !== undefined) throw argumentError('actions');
    }
    if (!isNonEmptyString(details.message)) throw argumentError('message');
    if (details.message.length > 150) throw outOfRange('message');
    if (!TYPES.includes(type)) throw argumentError('type');
  }

  /** Only the fields the host needs, so nothing uncloneable goes over postMessage. */
  const detailsForHost = ({ type, message, icon, persistent }) => {
    const out = { type, message };
    if (icon !== undefined) out.icon = icon;
    if (persistent !== undefined) out.persistent = persistent;
    return out;
  };

  const inFrame = window.parent !== window;
  const mode = inFrame ? 'pane' : window.opener ? 'dialog' : 'standalone';

  // ---- readiness: Office.initialize, then Office.onReady ------------------------------------

  // Like Office.js, wait for the page's own scripts (module scripts run before DOMContentLoaded,
  // but host messages can arrive while one is still loading) so Office.initialize is seen.
  let resolveReady;
  const ready = new Promise((resolve) => { resolveReady = resolve; });
  let domReady = document.readyState !== 'loading';
  let readyInfo = null;
  let pendingInfo = null;

  function becomeReady(info) {
    if (readyInfo) return;
    pendingInfo = info;
    if (!domReady) return;
    readyInfo = info;
    if (typeof Office.initialize === 'function') invoke(Office.initialize, 'inserted');
    resolveReady(info);
  }
  document.addEventListener('DOMContentLoaded', () => {
    domReady = true;
    if (pendingInfo) becomeReady(pendingInfo);
  });

  // ---- host page (pane mode) ------------------------------------------------------------------

  function learnHostOrigin() {
    const ancestors = location.ancestorOrigins;
    if (ancestors && ancestors.length && ancestors[0] !== 'null') return ancestors[0];
    try {
      if (document.referrer) return new URL(document.referrer).origin;
    } catch { /* no usable referrer */ }
    return null;
  }

  const hostOrigin = mode === 'pane' ? learnHostOrigin() : null;
  const toHost = (message) => window.parent.postMessage(message, hostOrigin);

  let nextRpcId = 0;
  const pendingRpcs = new Map();

  function rpc(op, itemId, fields, asyncContext, callback) {
    const id = ++nextRpcId;
    pendingRpcs.set(id, { asyncContext, callback });
    toHost({ type: RPC, id, op, itemId, ...fields });
  }

  function notificationMessagesFor(itemId) {
    return Object.freeze({
      addAsync(key, details, ...rest) {
        const { asyncContext, callback } = optionalArgs(rest);
        validateKey(key);
        validateDetails(details);
        rpc('add', itemId, { key, details: detailsForHost(details) }, asyncContext, callback);
      },
      replaceAsync(key, details, ...rest) {
        const { asyncContext, callback } = optionalArgs(rest);
        validateKey(key);
        validateDetails(details);
        rpc('replace', itemId, { key, details: detailsForHost(details) }, asyncContext, callback);
      },
      removeAsync(key, ...rest) {
        const { asyncContext, callback } = optionalArgs(rest);
        validateKey(key);
        rpc('remove', itemId, { key }, asyncContext, callback);
      },
      getAllAsync(...rest) {
        const { asyncContext, callback } = optionalArgs(rest);
        rpc('getAll', itemId, {}, asyncContext, callback);
      },
    });
  }

  const makeItem = (item) => (item
    ? Object.freeze({
      itemId: String(item.itemId),
      itemType: 'message',
      subject: String(item.subject),
      notificationMessages: notificationMessagesFor(String(item.itemId)),
    })
    : null);

  let currentItem = null;
  let userProfile = null;
  const itemChangedHandlers = [];

  function setItem(item) {
    currentItem = makeItem(item);
    for (const handler of [...itemChangedHandlers]) invoke(handler, { type: EventType.ItemChanged });
  }

  function onHostMessage(data) {
    switch (data.type) {
      case STATE: {
        const first = !readyInfo && !pendingInfo;
        const p = data.userProfile ?? {};
        userProfile = Object.freeze({
          displayName: String(p.displayName ?? ''),
          emailAddress: String(p.emailAddress ?? ''),
          timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
          accountType: 'enterprise',
        });
        if (first) {
          currentItem = makeItem(data.item);
          becomeReady({ host: 'Outlook', platform: 'OfficeOnline' });
        } else if ((currentItem?.itemId ?? null) !== (data.item?.itemId ?? null)) {
          setItem(data.item);
        }
        break;
      }
      case ITEM_CHANGED:
        setItem(data.item);
        break;
      case RPC_RESULT: {
        const pending = pendingRpcs.get(data.id);
        if (!pending) return;
        pendingRpcs.delete(data.id);
        const result = data.ok
          ? asyncResult(data.value, undefined, pending.asyncContext)
          : asyncResult(undefined, { ...data.error }, pending.asyncContext);
        if (typeof pending.callback === 'function') invoke(pending.callback, result);
        break;
      }
      default:
    }
  }

  const mailbox = {
    get item() { return currentItem; },
    get userProfile() { return userProfile; },
    diagnostics: Object.freeze({ hostName: 'OutlookWebApp', hostVersion: '16.0.0.0-dev', OWAView: 'ThreeColumns' }),
    addHandlerAsync(eventType, handler, ...rest) {
      const { asyncContext, callback } = optionalArgs(rest);
      if (eventType !== EventType.ItemChanged) {
        throw argumentError('eventType', `The specified event type ${eventType} is not supported.`);
      }
      if (typeof handler !== 'function') throw argumentType('handler');
      if (!itemChangedHandlers.includes(handler)) itemChangedHandlers.push(handler);
      callBack(callback, asyncResult(undefined, undefined, asyncContext));
    },
    /** Outlook's removeHandlerAsync takes no handler: it removes every handler of the type. */
    removeHandlerAsync(eventType, ...rest) {
      const { asyncContext, callback } = optionalArgs(rest);
      if (eventType !== EventType.ItemChanged) {
        throw argumentError('eventType', `The specified event type ${eventType} is not supported.`);
      }
      itemChangedHandlers.length = 0;
      callBack(callback, asyncResult(undefined, undefined, asyncContext));
    },
  };

  // ---- dialogs (pane mode opens them; dialog mode talks back) --------------------------------

  let dialog = null;

  function finishDialog(fireClosed) {
    const current = dialog;
    if (!current) return;
    dialog = null;
    clearInterval(current.poll);
    if (fireClosed) {
      for (const handler of [...current.handlers[EventType.DialogEventReceived]]) {
        invoke(handler, { type: EventType.DialogEventReceived, error: 12006 });
      }
    }
  }

  /** Percent of the screen, as Office takes it; 0 < n <= 100, else Office's 12000 / 12001. */
  const percent = (value, fallback) => (value === undefined || value === null ? fallback : Number(value));
  const validPercent = (n) => Number.isFinite(n) && n > 0 && n <= 100;

  function displayDialogAsync(startAddress, ...rest) {
    const { options, asyncContext, callback } = optionalArgs(rest);
    if (typeof startAddress !== 'string') throw argumentError('startAddress');
    const fail = (code) => callBack(callback, asyncResult(undefined, officeError(code), asyncContext));

    if (dialog && dialog.win.closed) finishDialog(true);
    if (dialog) return fail(12007);

    let url;
    try { url = new URL(startAddress); } catch { return fail(12004); }
    // This is a dev host: http is allowed on 127.0.0.1 only, as an AppDomain on localhost would be.
    if (url.protocol === 'http:' && url.hostname !== '127.0.0.1') return fail(12005);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return fail(12004);
    if (url.origin !== location.origin) return fail(12004);

    const width = percent(options.width, 80);
    const height = percent(options.height, 80);
    if (!validPercent(width)) return fail(12000);
    if (!validPercent(height)) return fail(12001);
    // learn.microsoft.com DialogOptions: a percentage of the display; 150 px / 250 px minimum.
    const w = Math.max(150, Math.round(screen.availWidth * width / 100));
    const h = Math.max(250, Math.round(screen.availHeight * height / 100));
    const left = Math.round((screen.availWidth - w) / 2);
    const top = Math.round((screen.availHeight - h) / 2);

    const win = window.open(url.href, '_blank', `popup,width=${w},height=${h},left=${left},top=${top}`);
    if (!win) return fail(12009);

    const handlers = { [EventType.DialogMessageReceived]: [], [EventType.DialogEventReceived]: [] };
    const current = { win, origin: url.origin, handlers, poll: 0 };
    current.poll = setInterval(() => { if (dialog === current && win.closed) finishDialog(true); }, 250);
    dialog = current;

    const dialogObject = Object.freeze({
      addEventHandler(eventType, handler) {
        if (!handlers[eventType]) {
          throw argumentError('eventType', `The specified event type ${eventType} is not supported.`);
        }
        if (typeof handler !== 'function') throw argumentType('handler');
        handlers[eventType].push(handler);
      },
      /** Closes the window; the add-in asked for it, so no 12006. */
      close() {
        if (dialog === current) finishDialog(false);
        try { win.close(); } catch { /* already gone */ }
      },
      messageChild(message, messageOptions) {
        if (dialog !== current) return;
        win.postMessage({ type: PARENT_MESSAGE, message: String(message) },
          messageOptions?.targetOrigin ?? current.origin);
      },
    });
    callBack(callback, asyncResult(dialogObject, undefined, asyncContext));
  }

  function onDialogMessage(event) {
    const current = dialog;
    if (!current || event.source !== current.win) return;
    for (const handler of [...current.handlers[EventType.DialogMessageReceived]]) {
      invoke(handler, { type: EventType.DialogMessageReceived, message: String(event.data.message), origin: event.origin });
    }
  }

  const parentMessageHandlers = [];

  const ui = {
    displayDialogAsync(startAddress, ...rest) {
      if (mode !== 'pane') throw argumentError('startAddress', 'displayDialogAsync is only available in the task pane.');
      displayDialogAsync(startAddress, ...rest);
    },
    /** In the dialog: `window.opener.postMessage`, to the dialog's own origin unless told otherwise. */
    messageParent(message, messageOptions) {
      if (mode !== 'dialog' || !window.opener) return;
      window.opener.postMessage({ type: DIALOG_MESSAGE, message: String(message) },
        messageOptions?.targetOrigin ?? location.origin);
    },
    addHandlerAsync(eventType, handler, ...rest) {
      const { asyncContext, callback } = optionalArgs(rest);
      if (eventType !== EventType.DialogParentMessageReceived) {
        throw argumentError('eventType', `The specified event type ${eventType} is not supported.`);
      }
      if (typeof handler !== 'function') throw argumentType('handler');
      parentMessageHandlers.push(handler);
      callBack(callback, asyncResult(undefined, undefined, asyncContext));
    },
  };

  // ---- one message listener for every mode ------------------------------------------------------

  window.addEventListener('message', (event) => {
    const data = event.data;
    if (!data || typeof data !== 'object' || typeof data.type !== 'string') return;
    if (mode === 'pane') {
      if (data.type === DIALOG_MESSAGE) { onDialogMessage(event); return; }
      if (event.source === window.parent && event.origin === hostOrigin) onHostMessage(data);
    } else if (mode === 'dialog' && data.type === PARENT_MESSAGE && event.source === window.opener) {
      for (const handler of [...parentMessageHandlers]) {
        invoke(handler, { type: EventType.DialogParentMessageReceived, message: String(data.message), origin: event.origin });
      }
    }
  });

  // ---- requirement sets ---------------------------------------------------------------------

  const SETS = mode === 'standalone' ? {} : { mailbox: '1.13', dialogapi: '1.2', dialogorigin: '1.1' };
  const versionParts = (v) => String(v).split('.').map((n) => Number.parseInt(n, 10) || 0);
  function isSetSupported(name, minVersion) {
    if (typeof name !== 'string') return false;
    const have = SETS[name.toLowerCase()];
    if (!have) return false;
    if (minVersion === undefined || minVersion === null) return true;
    const [a, b] = [versionParts(have), versionParts(minVersion)];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
    }
    return true;
  }

  // ---- the Office namespace ---------------------------------------------------------------------

  const inOutlook = mode !== 'standalone';
  const Office = {
    AsyncResultStatus,
    EventType,
    HostType: Object.freeze({ Outlook: 'Outlook' }),
    PlatformType: Object.freeze({ OfficeOnline: 'OfficeOnline' }),
    InitializationReason: Object.freeze({ Inserted: 'inserted', DocumentOpened: 'documentOpened' }),
    MailboxEnums: Object.freeze({
      ItemNotificationMessageType,
      ItemType: Object.freeze({ Message: 'message', Appointment: 'appointment' }),
    }),
    initialize: undefined,
    /** Resolves `{ host, platform }` once the shim has its first state from the host page. */
    onReady(callback) {
      return ready.then((info) => {
        if (typeof callback === 'function') callback(info);
        return info;
      });
    },
    context: {
      // Outlook's UI language; the stand-in takes the browser's.
      displayLanguage: navigator.language || 'en-US',
      host: inOutlook ? 'Outlook' : null,
      platform: inOutlook ? 'OfficeOnline' : null,
      diagnostics: Object.freeze(inOutlook
        ? { host: 'Outlook', platform: 'OfficeOnline', version: '16.0.0.0-dev' }
        : { host: null, platform: null, version: null }),
      requirements: Object.freeze({ isSetSupported }),
      ui: Object.freeze(ui),
      mailbox: mode === 'pane' ? Object.freeze(mailbox) : undefined,
    },
  };
  window.Office = Office;

  if (mode === 'pane') {
    if (hostOrigin) {
      toHost({ type: HELLO });
    } else {
      console.error('office-shim: the host page origin is unknown; Office.onReady will not resolve.');
    }
  } else if (mode === 'dialog') {
    becomeReady({ host: 'Outlook', platform: 'OfficeOnline' });
  } else {
    becomeReady({ host: null, platform: null });
  }
})();
