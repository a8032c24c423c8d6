// The partner nodes this node talks to: connected or not, when last heard
// from, and how many changes each still lacks per collection. Refreshes by
// itself while open.
import {get} from '../api.js';
import {ago, clear, count, emptyNote, errorBox, h, table} from '../dom.js';
import {orgBadge} from '../orgs.js';

const REFRESH_MS = 5000;

// Collections the peer no longer lets this node read (a revocation).
function refusals(p) {
  return p.refused.map((r) =>
    h('span', {class: 'warn'}, ` — sends nothing of ${r.name || r.collection}: ${r.message}`));
}

function state(p) {
  if (p.connected) return h('span', {class: 'state state-on'}, '● Connected', ...refusals(p));
  if (p.dialing) return h('span', {class: 'state state-off'}, '◌ Connecting…');
  const why = p.last_error ? ` — ${p.last_error}` : '';
  const retry = p.next_dial_ms ? `; trying again ${new Date(p.next_dial_ms).toLocaleTimeString()}` : '';
  return h('span', {class: 'state state-off'}, `○ Not connected${why}${retry}`);
}

function lag(p) {
  const behind = p.behind.filter((b) => b.commits > 0);
  if (!p.behind.length) return h('span', {class: 'muted'}, 'shares no collection yet');
  if (!behind.length) return h('span', {class: 'ok'}, 'Up to date');
  return h('ul', {class: 'cells'}, behind.map((b) =>
    h('li', {}, `${b.name || b.collection}: ${count(b.commits, 'change')} to send`)));
}

function peersTable(peers) {
  if (!peers.length) {
    return emptyNote('No partner yet. An administrator adds one with "kongsi peer add URL NODE_ID".');
  }
  return table(null, ['Partner', 'State', 'Last heard from', 'Still to send', 'Received / sent'],
    peers.map((p) => h('tr', {'data-node-id': p.node_id},
      h('td', {}, orgBadge(p.node_id), h('div', {class: 'muted small'}, p.url || (p.inbound ? 'connects to us' : ''))),
      h('td', {}, state(p)),
      h('td', {}, ago(p.last_seen_ms)),
      h('td', {}, lag(p)),
      h('td', {}, `${Number(p.stats.commits_received).toLocaleString()} / ${Number(p.stats.commits_sent).toLocaleString()} changes`))),
    {class: 'grid', id: 'peers'});
}

export async function render(view) {
  const body = h('div', {'aria-live': 'off'});
  const stamp = h('p', {class: 'muted small', role: 'status'});
  const refresh = async () => {
    try {
      const peers = await get('/v1/peers');
      clear(body).append(peersTable(peers));
      stamp.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${REFRESH_MS / 1000} seconds.`;
    } catch (e) {
      clear(body).append(errorBox('Could not read the partners.', e));
    }
  };
  await refresh();
  view.append(h('h1', {}, 'Partners'),
    h('p', {class: 'lead'}, 'The other organisations\' nodes this node exchanges collections with.'),
    body, stamp);
  const timer = setInterval(refresh, REFRESH_MS);
  return () => clearInterval(timer);
}
