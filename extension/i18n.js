// The static texts of a page in the person's language: each element tagged `data-i18n="key"`
// (its text) or `data-i18n-placeholder="key"` takes its message from the catalogue
// (`_locales/<lang>/messages.json`); the English in the HTML stays where a message is missing.
// The extension's pages read the catalogue through chrome.i18n (the browser's language); the
// Outlook task pane fetches the one for Office's display language (catalogue() below).

/** Puts `message(key)` into every tagged element of `doc`, and marks the page's language. */
export function localize(doc, message) {
  for (const e of doc.querySelectorAll('[data-i18n]')) {
    const text = message(e.dataset.i18n);
    if (text) e.textContent = text;
  }
  for (const e of doc.querySelectorAll('[data-i18n-placeholder]')) {
    const text = message(e.dataset.i18nPlaceholder);
    if (text) e.placeholder = text;
  }
  const lang = message('locale');
  if (lang) doc.documentElement.lang = lang;
}

/** The extension's catalogue, as the browser chose it. */
export const extensionMessage = (key) => chrome.i18n.getMessage(key);

/** The catalogue beside this page for `language` (a BCP 47 tag such as `de-DE`), parsed: the
 *  English one where there is none for that language (every text the wasm draws comes from it). */
export async function catalogue(language) {
  const lang = String(language ?? '').toLowerCase().split(/[-_]/)[0];
  const read = async (l) => {
    const r = await fetch(new URL(`./_locales/${l}/messages.json`, import.meta.url));
    if (!r.ok) throw new Error(`no catalogue for ${l}`);
    return r.json();
  };
  if (/^[a-z]{2,3}$/.test(lang) && lang !== 'en') {
    try {
      return await read(lang);
    } catch {
      // English below.
    }
  }
  return read('en');
}

/** A lookup over a parsed catalogue (the static texts need no placeholders). */
export const lookup = (messages) => (key) => (typeof messages?.[key]?.message === 'string' ? messages[key].message : '');
