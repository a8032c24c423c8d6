// The console's shell: sign-in, the header, and a router from the URL's
// #fragment to one view at a time (so Back, bookmarks and reloads work).
import {ApiError, clearToken, get, setToken, token} from './api.js';
import {clear, errorBox, field, h, loading} from './dom.js';
import {loadOrgs} from './orgs.js';

const main = document.getElementById('main');
const notice = document.getElementById('notice');
const session = {admin: false, node: null};
let cleanup = null;
let signingIn = false;  // a refused token then is the form's to report

// [pattern, module, tab]: ":name" is one percent-encoded segment.
const ROUTES = [
  ['/', './views/collections.js'],
  ['/c/:coll', './views/datasets.js'],
  ['/c/:coll/d/:dataset', './views/table.js'],
  ['/c/:coll/d/:dataset/r/:key', './views/history.js'],
  ['/c/:coll/changes', './views/changes.js'],
  ['/c/:coll/conflicts', './views/conflicts.js'],
  ['/c/:coll/access', './views/access.js'],
  ['/peers', './views/peers.js'],
  ['/tokens', './views/tokens.js'],
];

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean);
  for (const [pattern, module] of ROUTES) {
    const want = pattern.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    const fits = want.every((w, i) => {
      if (w.startsWith(':')) {
        params[w.slice(1)] = decodeURIComponent(parts[i]);
        return true;
      }
      return w === parts[i];
    });
    if (fits) return {module, params, query: new URLSearchParams(query), path};
  }
  return null;
}

// Views change the query part (search, page) through this, so the state
// is in the URL.
function setQuery(values) {
  const route = parseHash();
  const query = new URLSearchParams(route?.query ?? '');
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null || v === '') query.delete(k);
    else query.set(k, String(v));
  }
  const text = query.toString();
  location.hash = (route?.path ?? '/') + (text ? `?${text}` : '');
}

function showNotice(text) {
  notice.textContent = text;
  notice.hidden = !text;
}

async function show() {
  if (cleanup) cleanup();
  cleanup = null;
  showNotice('');
  if (!token()) return signIn();
  const route = parseHash();
  clear(main).append(loading());
  if (!route) {
    clear(main).append(h('h1', {}, 'Page not found'),
      h('p', {}, 'Nothing is at this address. ', h('a', {href: '#/'}, 'Go to the collections.')));
    return;
  }
  document.querySelectorAll('#nav a').forEach((a) => {
    const target = a.getAttribute('href').slice(1);
    a.toggleAttribute('aria-current', target === '/' ? !route.path.startsWith('/peers') &&
      !route.path.startsWith('/tokens') : route.path.startsWith(target));
  });
  try {
    const view = await import(route.module);
    const page = h('div', {class: 'view'});
    const ctx = {...session, params: route.params, query: route.query, setQuery, showNotice};
    cleanup = (await view.render(page, ctx)) ?? null;
    if (!token()) return;  // signed out meanwhile: the sign-in form stays
    clear(main).append(page);
  } catch (e) {
    if (!token()) return;
    if (!(e instanceof ApiError)) console.error(e);
    clear(main).append(errorBox('This page could not be shown.', e));
  }
  const heading = main.querySelector('h1');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({preventScroll: true});
    document.title = `${heading.textContent} · Kongsi`;
  }
}

function setSignedIn(on) {
  document.getElementById('nav').hidden = !on;
  document.getElementById('sign-out').hidden = !on;
  document.querySelectorAll('[data-admin-only]').forEach((el) => { el.hidden = !(on && session.admin); });
  document.getElementById('node-name').textContent = on && session.node ? session.node.name : '';
  document.getElementById('who').textContent =
    on ? (session.admin ? 'Signed in as administrator' : 'Signed in') : '';
}

// Learns who this token is: the node's name (any valid token) and whether
// it may administer (only admin tokens may list tokens).
async function startSession() {
  session.node = await loadOrgs();
  try {
    await get('/v1/tokens');
    session.admin = true;
  } catch (e) {
    if (e.status !== 403) throw e;
    session.admin = false;
  }
  setSignedIn(true);
}

function signIn(message) {
  setSignedIn(false);
  const input = h('input', {type: 'password', name: 'token', autocomplete: 'off', required: true,
    spellcheck: 'false', 'aria-describedby': 'token-hint', id: 'token'});
  const status = h('div', {'aria-live': 'polite'}, message ? errorBox('Please sign in again.', message) : null);
  const form = h('form', {class: 'card sign-in', onSubmit: async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    setToken(value);
    clear(status).append(loading());
    signingIn = true;
    try {
      await startSession();
      show();
    } catch (e) {
      clearToken();
      clear(status).append(errorBox('That token was not accepted.', e));
      input.focus();
    } finally {
      signingIn = false;
    }
  }},
  h('h1', {}, 'Sign in'),
  h('p', {}, 'This is the console of one Kongsi node. Paste the access token its administrator gave you.'),
  field('Access token', input),
  h('p', {class: 'hint', id: 'token-hint'},
    'A token looks like kongsi_… and is made with ', h('code', {}, 'kongsi token create --role viewer'),
    '. It is kept only in this browser tab and forgotten when you close it.'),
  h('button', {type: 'submit'}, 'Sign in'),
  status);
  clear(main).append(form);
  input.focus();
}

document.getElementById('sign-out').addEventListener('click', () => {
  clearToken();
  session.admin = false;
  location.hash = '#/';
  signIn();
});

window.addEventListener('kongsi:unauthenticated', (event) => {
  if (signingIn) return;
  clearToken();
  signIn(event.detail);
});

window.addEventListener('hashchange', show);

(async () => {
  if (token()) {
    try {
      await startSession();
    } catch (e) {
      clearToken();
      return signIn(e);
    }
  }
  show();
})();
