// The Outlook add-in's two manifests, checked offline with Microsoft's own artefacts:
// - www/manifest.json against the JSON schema that @microsoft/app-manifest ships for exactly the
//   version the manifest declares;
// - www/manifest.xml through office-addin-manifest-converter (Microsoft's XML parser and
//   XML-to-unified converter), its output against the schema of the version it emits;
// - both for the elements the add-in relies on (pinnable task pane in read and compose, Mailbox
//   1.5, the Icon.16x16 banner icon, every URL under the add-in's https address, the providers'
//   domains).
// No npm package carries the XML manifest's XSDs, so the XML's shape is checked by the converter
// and by the element checks below, not by an XSD.
//
// Run: node --test tests/outlook/manifests.test.mjs
// TOKENWATCH_ADDIN_ORIGIN: the https address every manifest URL must be under (default
// https://localhost:3000; like `cargo xtask build`, it may carry a path, and a trailing slash is
// dropped). TOKENWATCH_OUTLOOK_DIST: a directory holding the built, already substituted
// manifest.xml / manifest.json (and icons/), e.g. dist/outlook, to check instead of www/.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const Ajv = require('ajv-draft-04');
const addFormats = require('ajv-formats');
const { DOMParser } = require('@xmldom/xmldom');
const converter = require('office-addin-manifest-converter');

// Nothing here may reach the network: a schema or icon fetch would fail the test, not pass it.
function refuseNetwork(what) {
  return () => {
    throw new Error(`manifests test: network access attempted (${what})`);
  };
}
globalThis.fetch = refuseNetwork('fetch');
for (const mod of [http, https]) {
  mod.request = refuseNetwork('request');
  mod.get = refuseNetwork('get');
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** What `{{ORIGIN}}` stands for, trimmed as xtask trims it. */
const ORIGIN = (process.env.TOKENWATCH_ADDIN_ORIGIN?.trim() || 'https://localhost:3000').replace(/\/+$/, '');
const DIST = process.env.TOKENWATCH_OUTLOOK_DIST;
const MANIFEST_DIR = DIST ? path.resolve(DIST) : path.join(ROOT, 'www');
const TASKPANE = `${ORIGIN}/taskpane.html`;
const PROVIDERS = [
  'https://login.salesforce.com',
  'https://test.salesforce.com',
  'https://login.microsoftonline.com',
];

function readManifest(name) {
  const text = readFileSync(path.join(MANIFEST_DIR, name), 'utf8');
  return DIST ? text : text.replaceAll('{{ORIGIN}}', ORIGIN);
}
const XML = readManifest('manifest.xml');
const JSON_MANIFEST = JSON.parse(readManifest('manifest.json'));

// ---------------------------------------------------------------------------------------------
// Unified manifest: schema from @microsoft/app-manifest, never from the network.

const PKG_DIR = path.dirname(require.resolve('@microsoft/app-manifest/package.json'));
const PKG_VERSION = require('@microsoft/app-manifest/package.json').version;
const SCHEMA_HOST = 'https://developer.microsoft.com';
const TEAMS_SCHEMAS = `${SCHEMA_HOST}/json-schemas/teams/`;

/** `$schema` without its fragment and without a locale segment (`/en-us/json-schemas/…`). */
function canonicalSchemaUrl(url) {
  const u = new URL(url);
  u.hash = '';
  u.pathname = u.pathname.replace(/^\/[a-z]{2}(?:-[a-z]{2})?(?=\/json-schemas\/)/i, '');
  return u.href;
}

/** The package file behind a developer.microsoft.com schema URL, as the package itself maps it. */
function packagedSchemaFile(url) {
  const canonical = canonicalSchemaUrl(url);
  if (!canonical.startsWith(`${SCHEMA_HOST}/json-schemas/`)) return undefined;
  const file = path.join(PKG_DIR, 'build', canonical.slice(SCHEMA_HOST.length + 1));
  return existsSync(file) ? file : undefined;
}

/** The schema file for the version a manifest declares; throws when the two fields disagree. */
function schemaFileFor(manifest) {
  const { manifestVersion, $schema } = manifest;
  if (typeof manifestVersion !== 'string') throw new Error('manifest has no manifestVersion');
  if (typeof $schema !== 'string') throw new Error('manifest has no $schema');
  const folder = manifestVersion === 'devPreview' ? 'vDevPreview' : `v${manifestVersion}`;
  const expected = `${TEAMS_SCHEMAS}${folder}/MicrosoftTeams.schema.json`;
  if (canonicalSchemaUrl($schema) !== expected) {
    throw new Error(`$schema ${$schema} does not name the schema of manifestVersion ${manifestVersion} (${expected})`);
  }
  const file = packagedSchemaFile(expected);
  if (!file) {
    throw new Error(`@microsoft/app-manifest ${PKG_VERSION} ships no schema for manifestVersion ${manifestVersion} (${expected})`);
  }
  return file;
}

function readSchema(file) {
  const raw = readFileSync(file, 'utf8');
  try {
    return JSON.parse(raw);
  } catch {
    // The same repair @microsoft/app-manifest applies: some schemas carry \a and \v escapes.
    return JSON.parse(raw.replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b'));
  }
}

function externalRefs(node, found = new Set()) {
  if (Array.isArray(node)) node.forEach((item) => externalRefs(item, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) found.add(value);
      else externalRefs(value, found);
    }
  }
  return found;
}

const validators = new Map();
/**
 * A validator configured as @microsoft/app-manifest's own `validateAgainstSchema` configures it
 * (ajv-draft-04, allErrors, strictTypes off, formats uri/email/regex), with every `$ref` to
 * another schema loaded from the package.
 */
function validatorFor(file) {
  if (!validators.has(file)) {
    const ajv = new Ajv({ allErrors: true, strictTypes: false });
    addFormats(ajv, ['uri', 'email', 'regex']);
    const schema = readSchema(file);
    const base = `${TEAMS_SCHEMAS}${path.basename(path.dirname(file))}/${path.basename(file)}`;
    for (const ref of externalRefs(schema)) {
      const url = new URL(ref, base);
      url.hash = '';
      const refFile = packagedSchemaFile(url.href);
      if (!refFile) throw new Error(`${file} refers to ${ref}, which the package does not ship (not fetching it)`);
      if (!ajv.getSchema(url.href)) ajv.addSchema(readSchema(refFile), url.href);
    }
    validators.set(file, ajv.compile(schema));
  }
  return validators.get(file);
}

/** Schema errors of a unified manifest against the schema of the version it declares. */
function schemaErrors(manifest) {
  const validate = validatorFor(schemaFileFor(manifest));
  if (validate(JSON.parse(JSON.stringify(manifest)))) return [];
  return validate.errors.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

// ---------------------------------------------------------------------------------------------
// Element checks. Each returns a list of problems; an empty list is a pass.

function versionAtLeast(version, minimum) {
  const a = String(version).split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (Number.isNaN(x)) return false;
    if (x !== y) return x > y;
  }
  return true;
}

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Problems with a URL that must be https and under ORIGIN. */
function sameOriginProblem(where, value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return `${where}: ${value} is not a URL`;
  }
  if (url.protocol !== 'https:') return `${where}: ${value} is not https`;
  if (!value.startsWith(`${ORIGIN}/`)) return `${where}: ${value} is not under ${ORIGIN}/`;
  return undefined;
}

/** Problems with an AppDomain value: https, and an origin only (no path, no trailing slash). */
function appDomainProblem(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return `AppDomain ${value} is not a URL`;
  }
  if (url.protocol !== 'https:') return `AppDomain ${value} is not https`;
  if (url.origin !== value) return `AppDomain ${value} must be an origin only (no path or trailing slash)`;
  return undefined;
}

const NS = {
  app: 'http://schemas.microsoft.com/office/appforoffice/1.1',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  bt: 'http://schemas.microsoft.com/office/officeappbasictypes/1.0',
  vo10: 'http://schemas.microsoft.com/office/mailappversionoverrides',
  vo11: 'http://schemas.microsoft.com/office/mailappversionoverrides/1.1',
};

/** Parses XML strictly: xmldom's warnings (an unclosed tag is only a warning) are errors too. */
function parseXml(text) {
  const fail = (message) => {
    throw new Error(message);
  };
  const parser = new DOMParser({ errorHandler: { warning: fail, error: fail, fatalError: fail } });
  const doc = parser.parseFromString(text, 'text/xml');
  if (!doc.documentElement) throw new Error('no root element');
  return doc;
}

const elements = (nodes) => Array.from(nodes ?? []).filter((n) => n.nodeType === 1);
const children = (el, ns, name) => elements(el?.childNodes).filter((n) => n.namespaceURI === ns && n.localName === name);
const child = (el, ns, name) => children(el, ns, name)[0];
const xsiType = (el) => (el?.getAttributeNS(NS.xsi, 'type') ?? '').replace(/^.*:/, '');
const text = (el) => el?.textContent.trim();

/** Depth-first walk over elements, not descending into `stop(el)` elements below the start. */
function walk(el, visit, stop = () => false) {
  visit(el);
  for (const c of elements(el.childNodes)) if (!stop(c)) walk(c, visit, stop);
}

/** The id → value tables of a VersionOverrides' Resources. */
function resources(vo, ns) {
  const res = child(vo, ns, 'Resources');
  const table = (group, item) => {
    const map = new Map();
    for (const el of children(child(res, NS.bt, group), NS.bt, item)) map.set(el.getAttribute('id'), el.getAttribute('DefaultValue'));
    return map;
  };
  return {
    images: table('Images', 'Image'),
    urls: table('Urls', 'Url'),
    shortStrings: table('ShortStrings', 'String'),
    longStrings: table('LongStrings', 'String'),
  };
}

function versionOverridesProblems(vo, ns, label, pinning) {
  const problems = [];
  const res = resources(vo, ns);
  if (!res.images.has('Icon.16x16')) problems.push(`VersionOverrides ${label}: no Icon.16x16 image resource (the notification banner's icon)`);
  if (res.urls.get('Taskpane.Url') !== TASKPANE) {
    problems.push(`VersionOverrides ${label}: Taskpane.Url is ${res.urls.get('Taskpane.Url')}, not ${TASKPANE}`);
  }
  for (const [id, value] of res.shortStrings) if (value.length > 125) problems.push(`VersionOverrides ${label}: ShortString ${id} is over 125 characters`);
  for (const [id, value] of res.longStrings) if (value.length > 250) problems.push(`VersionOverrides ${label}: LongString ${id} is over 250 characters`);

  const isNestedOverrides = (el) => el.localName === 'VersionOverrides';
  const all = [];
  walk(vo, (el) => all.push(el), isNestedOverrides);
  const known = new Set([...res.images.keys(), ...res.urls.keys(), ...res.shortStrings.keys(), ...res.longStrings.keys()]);
  for (const el of all) {
    const resid = el.getAttribute('resid');
    if (!resid) continue;
    if (resid.length > 32) problems.push(`VersionOverrides ${label}: resid ${resid} is over 32 characters`);
    if (!known.has(resid)) problems.push(`VersionOverrides ${label}: ${el.localName} refers to resid ${resid}, which Resources does not define`);
  }

  for (const surface of ['MessageReadCommandSurface', 'MessageComposeCommandSurface']) {
    const points = all.filter((el) => el.namespaceURI === ns && el.localName === 'ExtensionPoint' && xsiType(el) === surface);
    const actions = [];
    for (const point of points) walk(point, (el) => el.namespaceURI === ns && el.localName === 'Action' && xsiType(el) === 'ShowTaskpane' && actions.push(el));
    if (actions.length === 0) {
      problems.push(`VersionOverrides ${label}: no ShowTaskpane button on ${surface}`);
      continue;
    }
    for (const action of actions) {
      const resid = child(action, ns, 'SourceLocation')?.getAttribute('resid');
      if (res.urls.get(resid) !== TASKPANE) problems.push(`VersionOverrides ${label}: the ${surface} task pane opens ${res.urls.get(resid)}, not ${TASKPANE}`);
      const pin = child(action, ns, 'SupportsPinning');
      if (pinning && text(pin) !== 'true') problems.push(`VersionOverrides ${label}: the ${surface} task pane does not set SupportsPinning true`);
      if (!pinning && pin) problems.push(`VersionOverrides ${label}: SupportsPinning on ${surface} (the 1.0 schema has no such element; it belongs in 1.1)`);
    }
  }
  return problems;
}

/** What the add-in relies on in the XML manifest. */
function xmlProblems(xmlText) {
  let doc;
  try {
    doc = parseXml(xmlText);
  } catch (e) {
    return [`not well-formed XML: ${e.message}`];
  }
  const problems = [];
  if (xmlText.includes('{{')) problems.push('an unsubstituted {{…}} placeholder is left');
  const root = doc.documentElement;
  if (root.namespaceURI !== NS.app || root.localName !== 'OfficeApp') problems.push('the root is not an OfficeApp 1.1 element');
  if (xsiType(root) !== 'MailApp') problems.push(`OfficeApp xsi:type is "${xsiType(root)}", not MailApp`);

  const sets = children(child(child(root, NS.app, 'Requirements'), NS.app, 'Sets'), NS.app, 'Set');
  const mailbox = sets.find((s) => s.getAttribute('Name').toLowerCase() === 'mailbox');
  if (!mailbox) problems.push('Requirements has no Mailbox set');
  else if (!versionAtLeast(mailbox.getAttribute('MinVersion'), '1.5')) {
    problems.push(`Requirements Mailbox MinVersion ${mailbox.getAttribute('MinVersion')} is below 1.5 (pinning needs 1.5)`);
  }
  if (!children(child(root, NS.app, 'Hosts'), NS.app, 'Host').some((h) => h.getAttribute('Name') === 'Mailbox')) problems.push('Hosts has no Mailbox host');
  if (text(child(root, NS.app, 'Permissions')) !== 'ReadItem') problems.push(`Permissions is ${text(child(root, NS.app, 'Permissions'))}, not ReadItem`);

  const readForm = children(child(root, NS.app, 'FormSettings'), NS.app, 'Form').find((f) => xsiType(f) === 'ItemRead');
  const formSource = child(child(readForm, NS.app, 'DesktopSettings'), NS.app, 'SourceLocation')?.getAttribute('DefaultValue');
  if (formSource !== TASKPANE) problems.push(`FormSettings ItemRead SourceLocation is ${formSource}, not ${TASKPANE}`);

  const vo10 = children(root, NS.vo10, 'VersionOverrides').find((el) => xsiType(el) === 'VersionOverridesV1_0');
  const vo11 = children(vo10, NS.vo11, 'VersionOverrides').find((el) => xsiType(el) === 'VersionOverridesV1_1');
  if (!vo10) problems.push('no VersionOverrides 1.0');
  else problems.push(...versionOverridesProblems(vo10, NS.vo10, '1.0', false));
  if (!vo11) problems.push('no VersionOverrides 1.1 inside VersionOverrides 1.0 (SupportsPinning needs it)');
  else problems.push(...versionOverridesProblems(vo11, NS.vo11, '1.1', true));

  const appDomains = children(child(root, NS.app, 'AppDomains'), NS.app, 'AppDomain').map(text);
  for (const provider of PROVIDERS) if (!appDomains.includes(provider)) problems.push(`AppDomains lacks ${provider}`);
  for (const domain of appDomains) {
    const problem = appDomainProblem(domain);
    if (problem) problems.push(problem);
  }

  walk(root, (el) => {
    if (el.namespaceURI === NS.app && el.localName === 'AppDomain') return;
    for (const attr of Array.from(el.attributes)) {
      if (attr.name === 'xmlns' || attr.name.startsWith('xmlns:') || !URL_LIKE.test(attr.value)) continue;
      const problem = sameOriginProblem(`${el.localName}@${attr.name}`, attr.value);
      if (problem) problems.push(problem);
    }
    const own = Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.data.trim()).join('');
    if (URL_LIKE.test(own)) {
      const problem = sameOriginProblem(el.localName, own);
      if (problem) problems.push(problem);
    }
  });
  return problems;
}

/** Every control reachable from a ribbon (buttons, and menu items under menus). */
function ribbonControls(ribbon) {
  const controls = [];
  for (const tab of ribbon.tabs ?? []) {
    for (const group of tab.groups ?? []) {
      for (const control of group.controls ?? []) controls.push(control, ...(control.items ?? []));
    }
  }
  return controls;
}

/** Read and compose each have a button opening TASKPANE as a pinnable task pane. */
function pinningProblems(manifest) {
  const problems = [];
  const extension = manifest.extensions?.[0];
  const actions = new Map();
  for (const runtime of extension?.runtimes ?? []) {
    for (const action of runtime.actions ?? []) actions.set(action.id, { action, page: runtime.code?.page });
  }
  for (const context of ['mailRead', 'mailCompose']) {
    const ribbons = (extension?.ribbons ?? []).filter((r) => r.contexts?.includes(context));
    const ok = ribbons.flatMap(ribbonControls).some((control) => {
      const target = actions.get(control.actionId);
      return target && target.action.type === 'openPage' && target.action.pinnable === true && target.page === TASKPANE;
    });
    if (!ok) problems.push(`${context}: no button opens ${TASKPANE} as a pinnable task pane`);
  }
  return problems;
}

/** What the add-in relies on in the unified manifest. */
function jsonProblems(manifest) {
  const problems = [...pinningProblems(manifest)];
  const extension = manifest.extensions?.[0];
  if (manifest.extensions?.length !== 1) problems.push('extensions must hold exactly one Outlook add-in');
  if (!extension?.requirements?.scopes?.includes('mail')) problems.push('extensions[0].requirements.scopes lacks "mail"');
  const mailbox = extension?.requirements?.capabilities?.find((c) => c.name.toLowerCase() === 'mailbox');
  if (!mailbox) problems.push('extensions[0].requirements has no Mailbox capability');
  else if (!versionAtLeast(mailbox.minVersion, '1.5')) problems.push(`Mailbox minVersion ${mailbox.minVersion} is below 1.5 (pinning needs 1.5)`);

  const domains = manifest.validDomains ?? [];
  for (const provider of PROVIDERS) if (!domains.includes(new URL(provider).host)) problems.push(`validDomains lacks ${new URL(provider).host}`);
  for (const domain of domains) if (/[/:]/.test(domain)) problems.push(`validDomains entry ${domain} must be a host name (no scheme, port or path)`);

  const visit = (value, where) => {
    if (typeof value === 'string') {
      if (value.includes('{{')) problems.push(`${where}: unsubstituted placeholder in ${value}`);
      if (URL_LIKE.test(value) && where !== '/$schema') {
        const problem = sameOriginProblem(where, value);
        if (problem) problems.push(problem);
      }
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) visit(inner, `${where}/${key}`);
    }
  };
  visit(manifest, '');
  for (const [kind, file] of Object.entries(manifest.icons ?? {})) if (URL_LIKE.test(file)) problems.push(`icons.${kind} must be a path inside the app package`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Conversion with office-addin-manifest-converter's programmatic API.

/**
 * Converts XML text in a temporary directory. The converter reports problems only through its
 * verbose log (it does not reject), so the log is captured and its ERROR lines returned.
 */
async function convertXml(xmlText) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tokenwatch-manifest-'));
  const log = [];
  const saved = { log: console.log, error: console.error };
  try {
    const xmlFile = path.join(dir, 'manifest.xml');
    writeFileSync(xmlFile, xmlText);
    console.log = (...args) => log.push(args.join(' '));
    console.error = console.log;
    try {
      await converter.convert(xmlFile, path.join(dir, 'json'), false, null, null, true);
    } finally {
      Object.assign(console, saved);
    }
    const errors = log.filter((line) => line.includes('ERROR'));
    const manifest = JSON.parse(readFileSync(path.join(dir, 'json', 'manifest.json'), 'utf8'));
    return { manifest, errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Width, height and colour type of a PNG, from its IHDR chunk. */
function pngInfo(file) {
  const buf = readFileSync(file);
  assert.ok(buf.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])), `${file} is not a PNG`);
  assert.equal(buf.toString('latin1', 12, 16), 'IHDR', `${file} has no IHDR`);
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), colourType: buf[25] };
}

/** The file a URL under ORIGIN serves, relative to the manifest's directory. */
function servedFile(url) {
  assert.ok(url.startsWith(`${ORIGIN}/`), `${url} is not under ${ORIGIN}/`);
  return path.join(MANIFEST_DIR, ...new URL(url).pathname.slice(new URL(`${ORIGIN}/`).pathname.length).split('/'));
}

/** Replaces `from` with `to` in `text` and fails if nothing changed, so a mutation is real. */
function mutate(text, from, to) {
  const out = text.replace(from, to);
  assert.notEqual(out, text, `mutation ${from} found nothing to change`);
  return out;
}

const xmlId = () => text(child(parseXml(XML).documentElement, NS.app, 'Id'));

// ---------------------------------------------------------------------------------------------

test('the add-in address is https, without query or fragment', () => {
  const url = new URL(ORIGIN);
  assert.equal(url.protocol, 'https:');
  assert.equal(url.search + url.hash, '');
});

test('manifest.json validates against the @microsoft/app-manifest schema of the version it declares', () => {
  assert.match(path.relative(PKG_DIR, schemaFileFor(JSON_MANIFEST)), /^build[\\/]json-schemas[\\/]teams[\\/]/);
  assert.deepEqual(schemaErrors(JSON_MANIFEST), []);
});

test('manifest.json gives Outlook what the add-in relies on', () => {
  assert.deepEqual(jsonProblems(JSON_MANIFEST), []);
});

test('manifest.xml gives Outlook what the add-in relies on', () => {
  assert.deepEqual(xmlProblems(XML), []);
});

test("Microsoft's converter turns manifest.xml into a unified manifest valid for the version it emits", async () => {
  const { manifest, errors } = await convertXml(XML);
  assert.deepEqual(errors, [], 'the converter logged errors');
  assert.deepEqual(schemaErrors(manifest), []);
  assert.deepEqual(pinningProblems(manifest), []);
  assert.equal(manifest.id, xmlId());
});

test('both manifests describe the same add-in', () => {
  const root = parseXml(XML).documentElement;
  assert.equal(JSON_MANIFEST.id, xmlId());
  assert.equal(text(child(root, NS.app, 'Version')), `${JSON_MANIFEST.version}.0`);
  assert.equal(child(root, NS.app, 'DisplayName').getAttribute('DefaultValue'), JSON_MANIFEST.name.short);
  assert.equal(child(root, NS.app, 'Description').getAttribute('DefaultValue'), JSON_MANIFEST.description.full);
  const appDomainHosts = children(child(root, NS.app, 'AppDomains'), NS.app, 'AppDomain')
    .map((el) => new URL(text(el)).host);
  assert.deepEqual([...appDomainHosts].sort(), [...JSON_MANIFEST.validDomains].sort());
});

test('the icons the manifests name exist with the sizes they claim', () => {
  const square = (file, size) => {
    const info = pngInfo(file);
    assert.deepEqual([info.width, info.height], [size, size], file);
    return info;
  };
  const root = parseXml(XML).documentElement;
  square(servedFile(child(root, NS.app, 'IconUrl').getAttribute('DefaultValue')), 64);
  square(servedFile(child(root, NS.app, 'HighResolutionIconUrl').getAttribute('DefaultValue')), 128);
  for (const image of Array.from(root.getElementsByTagNameNS(NS.bt, 'Image'))) {
    const id = image.getAttribute('id');
    if (!id) continue;
    const size = Number(/^Icon\.(\d+)x\1$/.exec(id)?.[1]);
    assert.ok(size, `image resource ${id} does not say its size`);
    square(servedFile(image.getAttribute('DefaultValue')), size);
  }
  square(path.join(MANIFEST_DIR, JSON_MANIFEST.icons.color), 192);
  assert.equal(square(path.join(MANIFEST_DIR, JSON_MANIFEST.icons.outline), 32).colourType, 6, 'the outline icon needs an alpha channel');
  const extension = JSON_MANIFEST.extensions[0];
  for (const control of extension.ribbons.flatMap(ribbonControls)) {
    for (const icon of control.icons) square(servedFile(icon.url), icon.size);
  }
  const { icon, highResolutionIcon } = extension.alternates[0].alternateIcons;
  square(servedFile(icon.url), 64);
  square(servedFile(highResolutionIcon.url), 128);
});

// Negative checks: each proves a check above can fail.

test('the schema check rejects a manifest missing a required field or with a wrong type', () => {
  const noDeveloper = structuredClone(JSON_MANIFEST);
  delete noDeveloper.developer;
  assert.ok(schemaErrors(noDeveloper).some((e) => e.includes("must have required property 'developer'")), schemaErrors(noDeveloper).join('\n'));

  const wrongType = structuredClone(JSON_MANIFEST);
  wrongType.extensions[0].runtimes[0].actions[0].pinnable = 'true';
  assert.ok(schemaErrors(wrongType).some((e) => e.startsWith('/extensions/0/runtimes/0/actions/0/pinnable must be boolean')));

  const unknownProperty = structuredClone(JSON_MANIFEST);
  unknownProperty.extensions[0].ribbons[0].tabs[0].groups[0].controls[0].supportsPinning = true;
  assert.ok(schemaErrors(unknownProperty).some((e) => e.includes('must NOT have additional properties')));
});

test('a manifest whose version the package has no schema for, or whose $schema disagrees, fails clearly', () => {
  const future = { ...JSON_MANIFEST, manifestVersion: '9.99', $schema: `${TEAMS_SCHEMAS}v9.99/MicrosoftTeams.schema.json` };
  assert.throws(() => schemaErrors(future), /ships no schema for manifestVersion 9\.99/);
  const mismatched = { ...JSON_MANIFEST, $schema: `${TEAMS_SCHEMAS}v1.17/MicrosoftTeams.schema.json` };
  assert.throws(() => schemaErrors(mismatched), /does not name the schema of manifestVersion/);
});

test('the unified-manifest checks catch a task pane that cannot be pinned, a foreign URL and a scheme in validDomains', () => {
  const unpinned = structuredClone(JSON_MANIFEST);
  delete unpinned.extensions[0].runtimes[0].actions[0].pinnable;
  assert.deepEqual(pinningProblems(unpinned), [
    `mailRead: no button opens ${TASKPANE} as a pinnable task pane`,
    `mailCompose: no button opens ${TASKPANE} as a pinnable task pane`,
  ]);

  const foreign = structuredClone(JSON_MANIFEST);
  foreign.extensions[0].ribbons[1].tabs[0].groups[0].controls[0].icons[0].url = 'https://cdn.example.com/icon-16.png';
  assert.ok(jsonProblems(foreign).some((p) => p.endsWith(`https://cdn.example.com/icon-16.png is not under ${ORIGIN}/`)));

  const scheme = structuredClone(JSON_MANIFEST);
  scheme.validDomains[0] = `https://${scheme.validDomains[0]}`;
  assert.ok(jsonProblems(scheme).some((p) => p.includes('must be a host name')));
});

test('the XML checks catch each missing element the add-in relies on', () => {
  const cases = [
    [/(<ExtensionPoint xsi:type="MessageComposeCommandSurface">(?:(?!<\/ExtensionPoint>)[\s\S])*?)\s*<SupportsPinning>true<\/SupportsPinning>/g, '$1',
      'VersionOverrides 1.1: the MessageComposeCommandSurface task pane does not set SupportsPinning true'],
    [/<SupportsPinning>true<\/SupportsPinning>/g, '<SupportsPinning>false</SupportsPinning>',
      'VersionOverrides 1.1: the MessageReadCommandSurface task pane does not set SupportsPinning true'],
    ['<Set Name="Mailbox" MinVersion="1.5"/>', '<Set Name="Mailbox" MinVersion="1.3"/>', 'Requirements Mailbox MinVersion 1.3 is below 1.5 (pinning needs 1.5)'],
    ['xsi:type="MailApp"', 'xsi:type="TaskPaneApp"', 'OfficeApp xsi:type is "TaskPaneApp", not MailApp'],
    [/<bt:Image id="Icon.16x16"[^>]*\/>/g, '', 'VersionOverrides 1.0: no Icon.16x16 image resource (the notification banner\'s icon)'],
    ['<Permissions>ReadItem</Permissions>', '<Permissions>ReadWriteMailbox</Permissions>', 'Permissions is ReadWriteMailbox, not ReadItem'],
    [`<SourceLocation DefaultValue="${TASKPANE}"/>`, `<SourceLocation DefaultValue="${ORIGIN}/other.html"/>`,
      `FormSettings ItemRead SourceLocation is ${ORIGIN}/other.html, not ${TASKPANE}`],
    [`<IconUrl DefaultValue="${ORIGIN}/`, '<IconUrl DefaultValue="http://cdn.example.com/', 'IconUrl@DefaultValue: http://cdn.example.com/icons/icon-64.png is not https'],
    ['<AppDomain>https://test.salesforce.com</AppDomain>', '', 'AppDomains lacks https://test.salesforce.com'],
    ['<AppDomain>https://login.salesforce.com</AppDomain>', '<AppDomain>https://login.salesforce.com/</AppDomain>',
      'AppDomain https://login.salesforce.com/ must be an origin only (no path or trailing slash)'],
    ['<Label resid="Button.Label"/>', '<Label resid="Button.Missing"/>', 'VersionOverrides 1.0: Label refers to resid Button.Missing, which Resources does not define'],
    ['</Action>', '<SupportsPinning>true</SupportsPinning></Action>',
      'VersionOverrides 1.0: SupportsPinning on MessageReadCommandSurface (the 1.0 schema has no such element; it belongs in 1.1)'],
    ['</OfficeApp>', '', 'not well-formed XML'],
  ];
  for (const [from, to, expected] of cases) {
    const problems = xmlProblems(mutate(XML, from, to));
    assert.ok(problems.some((p) => p.startsWith(expected)), `expected "${expected}", got:\n${problems.join('\n')}`);
  }
});

test("the converter's output loses pinning when the XML has no SupportsPinning", async () => {
  const { manifest } = await convertXml(mutate(XML, /\s*<SupportsPinning>true<\/SupportsPinning>/g, ''));
  assert.deepEqual(schemaErrors(manifest), []);
  assert.equal(pinningProblems(manifest).length, 2, JSON.stringify(pinningProblems(manifest)));
});
