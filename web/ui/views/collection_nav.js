// The heading and tabs every page of one collection shares.
import {apiPath, get} from '../api.js';
import {h} from '../dom.js';

const TABS = [
  ['', 'Data'],
  ['/changes', 'Changes'],
  ['/conflicts', 'Conflicts'],
  ['/access', 'Who has access'],
];

export function collectionHref(coll, tail = '') {
  return `#/c/${encodeURIComponent(coll)}${tail}`;
}

export function datasetHref(coll, dataset, tail = '') {
  return collectionHref(coll, `/d/${encodeURIComponent(dataset)}${tail}`);
}

export function loadCollection(coll) {
  return get(apiPath('collections', coll));
}

// Breadcrumb + tabs; `active` is one of TABS' paths.
export function collectionNav(collection, active) {
  return h('nav', {class: 'tabs', 'aria-label': `Collection ${collection.name}`},
    h('a', {href: '#/', class: 'crumb'}, 'Collections'), h('span', {class: 'sep', 'aria-hidden': 'true'}, '›'),
    TABS.map(([tail, text]) => h('a', {href: collectionHref(collection.name, tail),
      'aria-current': tail === active ? 'page' : null}, text)));
}
