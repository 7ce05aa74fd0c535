// The live view's page: the service graph (Cytoscape.js), the trace list and waterfall, the fault panel and the
// members' configs, kept current by the server's event stream. Every number shown comes from /api/*.
'use strict';

(function () {
  const TOKEN_KEY = 'thespian-admin-token';
  const CODES = ['UNAVAILABLE', 'INTERNAL', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'UNKNOWN', 'ABORTED',
    'CANCELLED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'UNAUTHENTICATED', 'FAILED_PRECONDITION',
    'OUT_OF_RANGE', 'UNIMPLEMENTED', 'DATA_LOSS', 'INVALID_ARGUMENT'];
  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    cy: null,
    graphShape: '',
    selectedTrace: null,
    selectedSpan: null,
    memberRevisions: '',
    stream: null,
  };

  const $ = (selector) => document.querySelector(selector);

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === 'text') {
        node.textContent = value;
      } else if (name === 'className') {
        node.className = value;
      } else {
        node.setAttribute(name, value);
      }
    }
    children.forEach((child) => node.append(child));
    return node;
  }

  function number(value, digits) {
    return Number(value).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  }

  function errorPercent(item) {
    return item.calls === 0 ? 0 : (100 * item.errors) / item.calls;
  }

  // ---- talking to the server ----

  async function api(path, options) {
    const init = Object.assign({ method: 'GET' }, options || {});
    const headers = Object.assign({}, init.headers || {});
    if (state.token) {
      headers.Authorization = 'Bearer ' + state.token;
    }
    if (init.method !== 'GET') {
      headers['X-Thespian-Request'] = '1'; // a cross-site form cannot send this; the server refuses writes without it
    }
    init.headers = headers;
    const response = await fetch(path, init);
    if (response.status === 401) {
      askForToken();
      const error = new Error('this live view needs its token');
      error.name = 'NeedsToken';
      throw error;
    }
    return response;
  }

  function askForToken() {
    const form = $('#token-form');
    form.hidden = false;
    form.querySelector('input').focus();
  }

  function setConnection(text, stateName) {
    const badge = $('#connection');
    badge.textContent = text;
    badge.dataset.state = stateName;
  }

  // The event stream is read with fetch rather than EventSource, so that it can carry the token.
  async function listen() {
    if (state.stream) {
      state.stream.abort();
    }
    const controller = new AbortController();
    state.stream = controller;
    try {
      const response = await api('/api/events', { signal: controller.signal });
      if (!response.ok) {
        throw new Error('events: HTTP ' + response.status);
      }
      setConnection('live', 'live');
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        buffered += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          dispatch(buffered.slice(0, end));
          buffered = buffered.slice(end + 2);
        }
      }
    } catch (error) {
      if (controller.signal.aborted) {
        return;
      }
      if (error.name === 'NeedsToken') {
        setConnection('waiting for the token', 'down');
        return; // the token form starts listening again
      }
    }
    setConnection('disconnected: retrying', 'down');
    setTimeout(listen, 2000);
  }

  function dispatch(block) {
    let name = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) {
        name = line.slice(7);
      } else if (line.startsWith('data: ')) {
        data += line.slice(6);
      }
    }
    if (!data) {
      return;
    }
    const payload = JSON.parse(data);
    if (name === 'graph') {
      showGraph(payload);
    } else if (name === 'traces') {
      showTraceUpdate(payload);
    } else if (name === 'faults') {
      showStandingPlan(payload.plan);
    }
  }

  // ---- the graph ----

  function edgesByPair(edges) {
    const pairs = new Map();
    for (const edge of edges) {
      const key = edge.from + '->' + edge.to;
      const pair = pairs.get(key) || { key, from: edge.from, to: edge.to, methods: [], calls: 0, errors: 0,
        rate_per_s: 0, p99_ms: 0 };
      pair.methods.push(edge.method);
      pair.calls += edge.calls;
      pair.errors += edge.errors;
      pair.rate_per_s += edge.rate_per_s;
      pair.p99_ms = Math.max(pair.p99_ms, edge.p99_ms);
      pairs.set(key, pair);
    }
    return [...pairs.values()];
  }

  function errorColour(percent, calls) {
    if (calls === 0) {
      return '#9e9e9e';
    }
    if (percent >= 5) {
      return '#c62828';
    }
    return percent > 0 ? '#ef6c00' : '#2e7d32';
  }

  function showGraph(graph) {
    const pairs = edgesByPair(graph.edges);
    showServiceTable(graph.services);
    showEdgeTable(pairs);
    offerServices(graph.services);
    drawGraph(graph.services, pairs);
  }

  function drawGraph(services, pairs) {
    if (typeof window.cytoscape !== 'function') {
      return; // the tables still show every figure
    }
    const nodes = services.map((service) => {
      const percent = errorPercent(service);
      return { data: { id: service.name,
        label: service.name + '\n' + number(service.rate_per_s, 1) + '/s · ' + number(percent, 1) + '% err\np99 '
          + number(service.p99_ms, 1) + ' ms',
        colour: errorColour(percent, service.calls), border: service.instances > 0 ? 'solid' : 'dashed' } };
    });
    const edges = pairs.map((pair) => {
      const percent = errorPercent(pair);
      return { data: { id: pair.key, source: pair.from, target: pair.to,
        label: pair.methods.join(',') + ' · ' + number(pair.rate_per_s, 1) + '/s · ' + number(percent, 1) + '%',
        colour: errorColour(percent, pair.calls) } };
    });
    const shape = nodes.map((node) => node.data.id).join('|') + '#' + edges.map((edge) => edge.data.id).join('|');
    if (!state.cy) {
      state.cy = window.cytoscape({
        container: $('#graph'),
        style: [
          { selector: 'node', style: { label: 'data(label)', 'text-wrap': 'wrap', 'text-valign': 'bottom',
            'text-margin-y': 4, 'font-size': 11, 'background-color': 'data(colour)', width: 26, height: 26,
            'border-width': 2, 'border-color': '#5b4b8a', 'border-style': 'data(border)' } },
          { selector: 'edge', style: { label: 'data(label)', 'font-size': 10, 'curve-style': 'bezier',
            'target-arrow-shape': 'triangle', 'line-color': 'data(colour)', 'target-arrow-color': 'data(colour)',
            width: 2, 'text-background-color': '#fff', 'text-background-opacity': 0.8,
            'text-background-padding': 1, 'text-rotation': 'autorotate' } },
        ],
      });
    }
    if (shape !== state.graphShape) {
      state.graphShape = shape;
      state.cy.elements().remove();
      state.cy.add(nodes.concat(edges));
      const targets = new Set(edges.map((edge) => edge.data.target));
      const roots = nodes.filter((node) => !targets.has(node.data.id)).map((node) => '#' + CSS.escape(node.data.id));
      // Cytoscape's own layered layout, turned to run left to right: callers before the services they call.
      state.cy.layout({ name: 'breadthfirst', directed: true, roots: roots.length ? roots.join(',') : undefined,
        spacingFactor: 1.1, padding: 40, animate: false,
        transform: (node, position) => ({ x: position.y * 1.6, y: position.x }) }).run();
    } else {
      nodes.concat(edges).forEach((item) => state.cy.getElementById(item.data.id).data(item.data));
    }
  }

  // One row per service and per caller->callee pair, carrying the stable test hooks and the live figures.
  function upsertRow(tbody, attribute, key, cells) {
    let row = tbody.querySelector('tr[' + attribute + '="' + CSS.escape(key) + '"]');
    if (!row) {
      row = element('tr', { [attribute]: key });
      cells.forEach(([metric]) => row.append(element('td', metric ? { 'data-metric': metric } : {})));
      tbody.append(row);
    }
    cells.forEach(([, text], index) => {
      if (row.children[index].textContent !== text) {
        row.children[index].textContent = text;
      }
    });
    return row;
  }

  function removeStale(tbody, attribute, keys) {
    tbody.querySelectorAll('tr[' + attribute + ']').forEach((row) => {
      if (!keys.has(row.getAttribute(attribute))) {
        row.remove();
      }
    });
  }

  function showServiceTable(services) {
    const tbody = $('#services tbody');
    for (const service of services) {
      const row = upsertRow(tbody, 'data-service', service.name, [
        ['', service.name], ['instances', String(service.instances)], ['calls', String(service.calls)],
        ['errors', String(service.errors)], ['rate', number(service.rate_per_s, 2)],
        ['error_pct', number(errorPercent(service), 1)], ['p50', number(service.p50_ms, 1)],
        ['p99', number(service.p99_ms, 1)]]);
      row.classList.toggle('has-errors', service.errors > 0);
    }
    removeStale(tbody, 'data-service', new Set(services.map((service) => service.name)));
  }

  function showEdgeTable(pairs) {
    const tbody = $('#edges tbody');
    for (const pair of pairs) {
      const row = upsertRow(tbody, 'data-edge', pair.key, [
        ['', pair.from + ' → ' + pair.to], ['methods', pair.methods.join(', ')], ['calls', String(pair.calls)],
        ['errors', String(pair.errors)], ['rate', number(pair.rate_per_s, 2)],
        ['error_pct', number(errorPercent(pair), 1)], ['p99', number(pair.p99_ms, 1)]]);
      row.classList.toggle('has-errors', pair.errors > 0);
    }
    removeStale(tbody, 'data-edge', new Set(pairs.map((pair) => pair.key)));
  }

  // The service pickers of the trace filter and the fault builder follow the graph.
  function offerServices(services) {
    for (const [selector, keep] of [['select[name=trace-service]', 1], ['select[name=fault-service]', 1]]) {
      const select = $(selector);
      const known = new Set([...select.options].slice(keep).map((option) => option.value));
      services.filter((service) => !known.has(service.name))
        .forEach((service) => select.append(element('option', { value: service.name, text: service.name })));
    }
  }

  // ---- traces ----

  function traceFilter() {
    return { service: $('select[name=trace-service]').value, errors: $('input[name=trace-errors]').checked };
  }

  function showTraceUpdate(list) {
    const filter = traceFilter();
    if (filter.service || filter.errors) {
      loadTraces();
    } else {
      showTraces(list);
    }
  }

  async function loadTraces() {
    const filter = traceFilter();
    const query = new URLSearchParams({ limit: '50' });
    if (filter.service) {
      query.set('service', filter.service);
    }
    if (filter.errors) {
      query.set('error', 'true');
    }
    const response = await api('/api/traces?' + query);
    if (response.ok) {
      showTraces(await response.json());
    }
  }

  // Rows are kept by trace id and only changed where their figures changed, so a row stays put under the pointer.
  function showTraces(list) {
    $('#trace-counts').textContent = list.kept + ' kept' + (list.dropped ? ', ' + list.dropped + ' dropped' : '');
    const tbody = $('#traces tbody');
    const existing = new Map([...tbody.children].map((row) => [row.dataset.traceId, row]));
    const rows = list.traces.map((trace) => {
      const cells = [timeOfDay(trace.start), trace.root_service + ': ' + trace.root_name, number(trace.duration_ms, 1),
        String(trace.span_count), trace.services.join(', '), trace.error ? 'error' : ''];
      const row = existing.get(trace.trace_id) || element('tr', { 'data-trace-id': trace.trace_id },
        element('td'), element('td'), element('td', { 'data-metric': 'duration' }),
        element('td', { 'data-metric': 'spans' }), element('td', { className: 'services' }),
        element('td', { className: 'error-mark' }));
      cells.forEach((text, index) => {
        if (row.children[index].textContent !== text) {
          row.children[index].textContent = text;
        }
      });
      row.classList.toggle('selected', trace.trace_id === state.selectedTrace);
      return row;
    });
    const unchanged = rows.length === tbody.children.length && rows.every((row, index) => tbody.children[index] === row);
    if (!unchanged) {
      tbody.replaceChildren(...rows);
    }
  }

  function timeOfDay(iso) {
    const time = new Date(iso);
    return time.toLocaleTimeString('en-GB', { hour12: false }) + '.' + String(time.getMilliseconds()).padStart(3, '0');
  }

  async function showTrace(traceId) {
    state.selectedTrace = traceId;
    document.querySelectorAll('#traces tbody tr').forEach((row) =>
      row.classList.toggle('selected', row.dataset.traceId === traceId));
    const response = await api('/api/traces/' + encodeURIComponent(traceId));
    $('#waterfall-id').textContent = traceId;
    $('#span-details').textContent = '';
    if (!response.ok) {
      $('#waterfall').replaceChildren(element('p', { text: 'This trace is no longer kept.' }));
      return;
    }
    drawWaterfall((await response.json()).spans);
  }

  // Spans as a tree (children under their parent, by start), each a bar at its offset with its duration.
  function drawWaterfall(spans) {
    const ids = new Set(spans.map((span) => span.span_id));
    const children = new Map();
    for (const span of spans) {
      const parent = ids.has(span.parent_span_id) ? span.parent_span_id : '';
      children.set(parent, (children.get(parent) || []).concat(span));
    }
    const total = Math.max(0.001, ...spans.map((span) => span.start_offset_ms + span.duration_ms));
    const rows = [];
    const visit = (parent, depth) => {
      for (const span of (children.get(parent) || []).sort((a, b) => a.start_offset_ms - b.start_offset_ms)) {
        rows.push(spanRow(span, depth, total));
        visit(span.span_id, depth + 1);
      }
    };
    visit('', 0);
    $('#waterfall').replaceChildren(...rows);
  }

  function spanRow(span, depth, total) {
    const failed = span.status.startsWith('ERROR');
    const label = element('div', { className: 'span-label' }, span.name,
      element('span', { className: 'kind', text: span.kind === 'INTERNAL' ? '' : span.kind }),
      element('span', { className: 'service', text: span.service }));
    label.style.paddingLeft = (depth * 1.1) + 'em';
    const bar = element('div', { className: 'span-bar' });
    bar.style.left = (100 * span.start_offset_ms / total) + '%';
    bar.style.width = (100 * span.duration_ms / total) + '%';
    const time = element('span', { className: 'span-time', text: number(span.duration_ms, 1) + ' ms' });
    const end = 100 * (span.start_offset_ms + span.duration_ms) / total;
    if (end > 88) {
      // no room after the bar: the time goes inside its end (or before the bar, if the bar is too short)
      const inside = span.duration_ms / total > 0.1;
      time.classList.add(inside ? 'inside' : 'before');
      time.style.right = (inside ? 100 - end : 100 - 100 * span.start_offset_ms / total) + '%';
    } else {
      time.style.left = (end + 0.5) + '%';
    }
    const details = [span.name + ' (' + span.service + ', ' + span.kind + ')', 'status: ' + span.status,
      'start: +' + number(span.start_offset_ms, 3) + ' ms, duration: ' + number(span.duration_ms, 3) + ' ms']
      .concat(Object.entries(span.attributes).map(([key, value]) => key + ' = ' + JSON.stringify(value)));
    const row = element('div', { className: 'span-row' + (failed ? ' error' : ''), 'data-span-name': span.name,
      'data-span-id': span.span_id, 'data-span-service': span.service, title: details.join('\n') },
    label, element('div', { className: 'span-track' }, bar, time));
    row.addEventListener('click', () => {
      document.querySelectorAll('.span-row.selected').forEach((other) => other.classList.remove('selected'));
      row.classList.add('selected');
      $('#span-details').textContent = details.join('\n');
    });
    return row;
  }

  // ---- faults ----

  function showStandingPlan(plan) {
    const shown = $('#standing-plan');
    shown.textContent = plan || 'none';
    shown.classList.toggle('active', Boolean(plan));
  }

  function faultMessage(text, ok) {
    const message = $('#fault-message');
    message.textContent = text;
    message.className = ok ? 'ok' : 'error';
  }

  async function changeFaults(method, body) {
    try {
      const response = await api('/api/faults', { method, body: body === undefined ? undefined : JSON.stringify(body),
        headers: { 'Content-Type': 'application/json' } });
      const answer = await response.json();
      if (!response.ok) {
        faultMessage(answer.error, false);
        return;
      }
      showStandingPlan(answer.plan);
      faultMessage(answer.plan ? 'Standing plan applied: ' + answer.plan : 'Standing plan cleared.', true);
    } catch (error) {
      faultMessage(error.message, false);
    }
  }

  function builtEntry() {
    const service = $('select[name=fault-service]').value;
    const kind = $('select[name=fault-kind]').value;
    const value = kind === 'abort' ? $('select[name=fault-code]').value : $('input[name=fault-delay]').value.trim();
    const percent = $('input[name=fault-percent]').value.trim();
    return service + ':' + kind + '=' + value + (percent && percent !== '100' ? '@' + percent : '');
  }

  function showKind() {
    const abort = $('select[name=fault-kind]').value === 'abort';
    $('select[name=fault-code]').hidden = !abort;
    $('input[name=fault-delay]').hidden = abort;
  }

  // ---- members ----

  async function loadMembers() {
    const response = await api('/api/members');
    if (!response.ok) {
      return;
    }
    const members = (await response.json()).members;
    const revisions = members.map((member) => member.name + '@' + member.revision).join('|');
    if (revisions === state.memberRevisions) {
      return;
    }
    state.memberRevisions = revisions;
    $('#members').replaceChildren(...members.map((member) => element('details', { 'data-member': member.name },
      element('summary', { text: member.name + ' — ' + member.address + ' — revision ' + member.revision
        + ' (' + member.origin + ')' }),
      element('pre', { text: member.config }))));
  }

  // ---- wiring ----

  function start() {
    CODES.forEach((code) => $('select[name=fault-code]').append(element('option', { value: code, text: code })));
    showKind();
    $('select[name=fault-kind]').addEventListener('change', showKind);
    $('[data-action=add-fault]').addEventListener('click', () => {
      const input = $('input[name=fault-plan]');
      input.value = (input.value.trim() ? input.value.trim() + ',' : '') + builtEntry();
    });
    $('[data-action=apply-faults]').addEventListener('click', () =>
      changeFaults('PUT', { plan: $('input[name=fault-plan]').value }));
    $('[data-action=clear-faults]').addEventListener('click', () => changeFaults('DELETE'));
    $('input[name=fault-plan]').addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        changeFaults('PUT', { plan: event.target.value });
      }
    });
    $('#traces tbody').addEventListener('click', (event) => {
      const row = event.target.closest('tr[data-trace-id]');
      if (row) {
        showTrace(row.dataset.traceId);
      }
    });
    $('select[name=trace-service]').addEventListener('change', loadTraces);
    $('input[name=trace-errors]').addEventListener('change', loadTraces);
    $('#token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      state.token = event.target.elements.token.value;
      sessionStorage.setItem(TOKEN_KEY, state.token);
      event.target.hidden = true;
      begin();
    });
    begin();
  }

  function begin() {
    listen();
    loadMembers().catch(() => {});
    api('/api/faults').then((response) => response.json()).then((answer) => showStandingPlan(answer.plan))
      .catch(() => {});
  }

  setInterval(() => loadMembers().catch(() => {}), 5000);
  start();
}());
