// minictr view, the page: draws the snapshots the server pushes (/api/events) with cytoscape,
// marks what appeared (green) or went away (red, kept a few seconds as a ghost), and on a
// click shows how the object was made and the commands that inspect it (with, for a
// container, its cgroup usage, asked for every 2 s while it is shown). Plain browser
// JavaScript, served as it is: no build step. It only reads (GET); the server refuses the rest.
'use strict';

const MARK_MS = 5000;
const KIND_COLOR = { netns: '#0ea5e9', host: '#64748b', bridge: '#f59e0b', ovs: '#a855f7', other: '#94a3b8' };
const GROUPS = [
  ['netns', 'namespaces'], ['host', 'host'], ['bridge', 'Linux bridges'], ['ovs', 'Open vSwitch bridges'],
  ['cable', 'veth pairs'], ['container', 'containers'], ['lab', 'labs'], ['other', 'unnamed namespaces'],
];

let cy;
let snapshot; // the last one the server sent
let mode = 'live';
let selected;
const objects = new Map(); // id -> object, including ghosts of what just went
const marks = new Map(); // id -> 'appeared' | 'gone'
let usageLines = []; // the selected container's usage, read every USAGE_MS while it is shown
let usageTimer;
let routesShown = { id: undefined, text: '' }; // the selected namespace's routes, last read
const USAGE_MS = 2000;

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function style() {
  return [
    { selector: 'node', style: {
      shape: 'round-rectangle', width: 'data(w)', height: 'data(h)', label: 'data(text)', 'text-wrap': 'wrap',
      'text-valign': 'center', 'font-family': 'monospace', 'font-size': 11, 'background-color': '#fff',
      'border-width': 2, 'border-color': 'data(color)', color: '#1b1f24' } },
    { selector: 'edge', style: {
      width: 2, 'line-color': '#475569', 'curve-style': 'straight', 'font-family': 'monospace', 'font-size': 10,
      'source-label': 'data(fromLabel)', 'target-label': 'data(toLabel)', 'source-text-offset': 60, 'target-text-offset': 60,
      'text-background-color': '#fff', 'text-background-opacity': 0.85, 'text-background-padding': 1 } },
    { selector: 'node.appeared', style: { 'border-width': 5, 'border-color': '#16a34a', 'background-color': '#dcfce7' } },
    { selector: 'edge.appeared', style: { 'line-color': '#16a34a', width: 4 } },
    { selector: 'node.gone', style: { 'border-color': '#dc2626', 'border-style': 'dashed', 'background-color': '#fee2e2', opacity: 0.7 } },
    { selector: 'edge.gone', style: { 'line-color': '#dc2626', 'line-style': 'dashed', opacity: 0.7 } },
    { selector: ':selected', style: { 'overlay-color': '#0ea5e9', 'overlay-opacity': 0.2 } },
  ];
}

function elements(picture, byId) {
  const els = [];
  for (const n of picture.nodes) {
    const o = byId.get(n.id);
    const text = [o ? o.label : n.id, ...(o ? o.details : [])].join('\n');
    els.push({ group: 'nodes', data: { id: n.id, text, w: n.w, h: n.h, color: KIND_COLOR[o ? o.kind : 'other'] || '#94a3b8' }, position: { x: n.x, y: n.y } });
  }
  for (const e of picture.edges) els.push({ group: 'edges', data: { id: e.id, source: e.from, target: e.to, fromLabel: e.fromLabel, toLabel: e.toLabel } });
  return els;
}

function mark(id, how) {
  marks.set(id, how);
  setTimeout(() => {
    if (marks.get(id) !== how) return;
    marks.delete(id);
    if (how === 'gone') {
      objects.delete(id);
      if (cy && mode === 'live') cy.getElementById(id).remove();
    } else if (cy) cy.getElementById(id).removeClass('appeared');
    renderLists();
  }, MARK_MS);
}

/** A new snapshot: what went stays a few seconds as a red ghost, what is new is green. */
function applySnapshot(s) {
  const previous = snapshot;
  // the same picture twice (it was read for this page and pushed to every page): once is enough
  if (previous && s.version <= previous.version) return;
  snapshot = s;
  const ids = new Set(s.objects.map((o) => o.id));
  if (previous) {
    for (const id of s.gone) if (objects.has(id)) mark(id, 'gone');
    for (const id of s.appeared) mark(id, 'appeared');
  }
  for (const [id, how] of marks) if (how === 'gone' && ids.has(id)) marks.delete(id);
  for (const id of [...objects.keys()]) if (!ids.has(id) && marks.get(id) !== 'gone') objects.delete(id);
  for (const o of s.objects) objects.set(o.id, o);
  $('tab-planned').hidden = !s.planned;
  if (s.planned) $('tab-planned').textContent = `planned: ${s.planned.picture.title}`;
  // ?view=planned opens on the topology file's picture (minictr view FILE)
  if (!previous && s.planned && new URLSearchParams(window.location.search).get('view') === 'planned') setMode('planned');
  else if (mode === 'live') drawLive();
  renderLists();
  if (selected) showDetails(selected);
  $('status').textContent = `live · ${s.objects.length} objects · updated ${new Date(s.at).toLocaleTimeString()}`;
  $('status').className = '';
  document.body.dataset.version = String(s.version);
}

function drawLive() {
  const byId = new Map(snapshot.objects.map((o) => [o.id, o]));
  const want = elements(snapshot.live, byId);
  const wantIds = new Set(want.map((e) => e.data.id));
  cy.batch(() => {
    cy.elements().forEach((e) => {
      if (!wantIds.has(e.id()) && marks.get(e.id()) !== 'gone') e.remove();
      else if (!wantIds.has(e.id())) e.addClass('gone');
    });
    for (const w of want) {
      const have = cy.getElementById(w.data.id);
      if (have.length) {
        have.data(w.data);
        if (w.position) have.position(w.position);
        have.removeClass('gone');
      } else {
        cy.add(w);
      }
      if (marks.get(w.data.id) === 'appeared') cy.getElementById(w.data.id).addClass('appeared');
    }
  });
  if (!drawLive.fitted && want.length) {
    cy.fit(undefined, 30);
    drawLive.fitted = true;
  }
}

function drawPlanned() {
  const byId = new Map(snapshot.planned.objects.map((o) => [o.id, o]));
  cy.elements().remove();
  cy.add(elements(snapshot.planned.picture, byId));
  cy.fit(undefined, 30);
}

function setMode(m) {
  mode = m;
  $('tab-live').classList.toggle('active', m === 'live');
  $('tab-planned').classList.toggle('active', m === 'planned');
  drawLive.fitted = false;
  if (m === 'live') {
    cy.elements().remove();
    drawLive();
  } else drawPlanned();
  renderLists();
}

function current() {
  if (mode === 'planned' && snapshot.planned) return new Map(snapshot.planned.objects.map((o) => [o.id, o]));
  return objects;
}

function renderLists() {
  const root = $('lists');
  const byKind = new Map();
  for (const o of current().values()) {
    if (!byKind.has(o.kind)) byKind.set(o.kind, []);
    byKind.get(o.kind).push(o);
  }
  const parts = [];
  for (const [kind, title] of GROUPS) {
    const list = (byKind.get(kind) || []).sort((a, b) => a.label.localeCompare(b.label));
    if (!list.length) continue;
    const ul = el('ul', { 'data-kind': kind });
    for (const o of list) {
      const how = mode === 'live' ? marks.get(o.id) : undefined;
      const li = el('li', { 'data-id': o.id, 'data-state': how || 'present', class: `${how || ''}${o.id === selected ? ' selected' : ''}`, title: o.how }, o.label);
      li.addEventListener('click', () => select(o.id));
      ul.append(li);
    }
    parts.push(el('h3', {}, `${title} (${list.length})`), ul);
  }
  root.replaceChildren(...parts);
}

function select(id) {
  selected = id;
  clearInterval(usageTimer);
  usageLines = [];
  if (id.startsWith('container:') && mode === 'live') {
    const poll = async () => {
      const r = await fetch(`api/usage?id=${encodeURIComponent(id)}`);
      if (selected !== id) return;
      usageLines = r.ok ? await r.json() : [];
      showDetails(id);
    };
    void poll();
    usageTimer = setInterval(poll, USAGE_MS);
  }
  cy.$(':selected').unselect();
  cy.getElementById(id).select();
  showDetails(id);
  renderLists();
}

function showDetails(id) {
  const o = current().get(id);
  const d = $('details');
  if (!o) {
    d.replaceChildren(el('p', { class: 'hint' }, 'It went away.'));
    return;
  }
  const parts = [
    el('h2', {}, o.label),
    el('ul', {}, ...[...o.details, ...(id === selected ? usageLines : [])].map((l) => el('li', {}, l))),
    el('p', {}, el('strong', {}, 'How it was made: '), o.how),
  ];
  if (marks.get(id) === 'gone') parts.push(el('p', { class: 'hint' }, 'It just went away.'));
  if (o.inspect.length) {
    parts.push(el('p', {}, el('strong', {}, 'See it yourself:')));
    parts.push(el('ul', {}, ...o.inspect.map((c) => el('li', {}, el('code', {}, c)))));
  }
  d.replaceChildren(...parts);
  if (mode === 'live' && (o.kind === 'netns' || o.kind === 'host') && !id.startsWith('ctr:')) {
    // the last read stays shown while the next one is asked for: on a busy machine snapshots
    // come faster than a read of the routes, which would otherwise never be on screen
    if (routesShown.id === id) putRoutes(d, routesShown.text);
    showRoutes(d, o.kind === 'host' ? '' : id.slice(3), id);
  }
}

function putRoutes(d, text) {
  for (const old of d.querySelectorAll('.routes')) old.remove();
  d.append(el('div', { class: 'routes' }, el('p', {}, el('strong', {}, 'Routes now: ')), el('pre', {}, text)));
}

async function showRoutes(d, ns, id) {
  const r = await fetch(`api/routes?ns=${encodeURIComponent(ns)}`);
  if (!r.ok || selected !== id) return;
  routesShown = { id, text: (await r.text()) || '(none)' };
  putRoutes(d, routesShown.text);
}

function connect() {
  const events = new EventSource('api/events');
  events.addEventListener('snapshot', (e) => applySnapshot(JSON.parse(e.data)));
  events.onerror = () => {
    $('status').textContent = 'disconnected: reconnecting…';
    $('status').className = 'down';
  };
}

window.addEventListener('DOMContentLoaded', () => {
  cy = cytoscape({ container: $('graph'), style: style(), layout: { name: 'preset' }, wheelSensitivity: 0.3, textureOnViewport: true, minZoom: 0.05, maxZoom: 4 });
  // for bench/view.sh and for the curious in the browser's console
  window.minictrCy = cy;
  cy.on('tap', 'node, edge', (e) => select(e.target.id()));
  $('tab-live').addEventListener('click', () => setMode('live'));
  $('tab-planned').addEventListener('click', () => setMode('planned'));
  connect();
});
