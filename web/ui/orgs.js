// Organisations as people know them: a node ID becomes the name its node
// gave itself (this node) or the name it has as a partner (peers), and a
// colour plus a shape, so contributions can be told apart without relying
// on colour alone. Indexes are handed out in order of first sight and kept
// for the session, so an organisation keeps its colour from page to page.
import {get} from './api.js';
import {h} from './dom.js';

// Shapes per palette slot (style.css has the matching colours).
const MARKS = ['●', '▲', '■', '◆', '★', '✚', '⬟', '✱'];

const names = new Map();    // node ID -> name
const indexes = new Map();  // node ID -> palette slot
let selfId = '';

export function shortId(id) {
  return id ? id.slice(0, 8) : '';
}

// Reads this node's and its partners' names. Called after sign-in; a
// failure leaves IDs unnamed, which is readable still.
export async function loadOrgs() {
  const node = await get('/v1/node');
  selfId = node.node_id;
  names.set(node.node_id, node.name || 'This node');
  orgIndex(node.node_id);
  const peers = await get('/v1/peers').catch(() => []);
  for (const p of [...peers].sort((a, b) => (a.name || '').localeCompare(b.name || ''))) {
    if (p.name) names.set(p.node_id, p.name);
    orgIndex(p.node_id);
  }
  return node;
}

export function isSelf(id) {
  return id === selfId;
}

export function knownOrgs() {
  return [...names.entries()].map(([id, name]) => ({id, name, self: id === selfId}));
}

export function orgIndex(id) {
  if (!indexes.has(id)) indexes.set(id, indexes.size % MARKS.length);
  return indexes.get(id);
}

export function orgName(id) {
  if (!id) return 'nobody';
  // Version labels and commit authors carry an 8-character prefix.
  const name = names.get(id) ?? [...names.entries()].find(([k]) => k.startsWith(id))?.[1];
  return name ?? `Node ${shortId(id)}`;
}

// The shape of an organisation, coloured (decorative: the name says it).
export function orgMark(id) {
  const slot = orgIndex(id);
  return h('span', {class: 'mark', 'aria-hidden': 'true', 'data-org': slot}, MARKS[slot]);
}

// Mark + name, with the full node ID on hover.
export function orgBadge(id) {
  return h('span', {class: 'org', 'data-org': orgIndex(id), title: id},
    orgMark(id), ' ', orgName(id), isSelf(id) ? ' (this node)' : '');
}

// The legend of a table: who contributed how many cells.
export function legend(contributors) {
  if (!contributors.length) return null;
  return h('section', {class: 'legend', 'aria-label': 'Who contributed these rows'},
    h('h3', {}, 'Contributed by'),
    h('ul', {}, contributors.map((c) => h('li', {'data-node-id': c.node_id},
      orgBadge(c.node_id), ' ',
      h('span', {class: 'muted'}, `${Number(c.cells).toLocaleString()} cells`)))));
}
