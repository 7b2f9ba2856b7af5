// The station page's script, sent as text (no bundler, no CDN: the page works with no network beyond the agent).
// Everything it shows is set through textContent, never parsed as HTML: class names come from a model spec.
export const STATION_SCRIPT = String.raw`'use strict';
(() => {
  const REFRESH_MS = 2000;
  const state = { queue: [], index: 0, selected: 0, labelled: 0, sending: false, lastError: null };
  const byId = (id) => document.getElementById(id);
  const make = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const current = () => state.queue[state.index] ?? null;

  function say(text, kind) {
    const line = byId('status');
    line.textContent = text;
    line.className = kind;
    if (kind === 'error') state.lastError = text;
  }

  async function call(path, init) {
    const res = await fetch(path, Object.assign({ cache: 'no-store', credentials: 'same-origin' }, init));
    let body = null;
    try {
      body = await res.json();
    } catch (_) {
      body = null;
    }
    return { status: res.status, body };
  }

  function selectItem(index) {
    state.index = Math.max(0, Math.min(index, state.queue.length - 1));
    const item = current();
    state.selected = item ? Math.max(0, item.classes.indexOf(item.suggestion.label)) : 0;
    render();
  }

  async function refresh() {
    let answer;
    try {
      answer = await call('/v1/review?limit=100');
    } catch (err) {
      say('The agent does not answer (' + err.message + '); retrying.', 'error');
      return;
    }
    if (answer.status !== 200 || !answer.body || !Array.isArray(answer.body.pending)) {
      say('Could not list the review queue: ' + describe(answer), 'error');
      return;
    }
    const keep = current();
    const keepSelected = state.selected;
    state.queue = answer.body.pending;
    const at = keep ? state.queue.findIndex((p) => p.predictionId === keep.predictionId) : -1;
    if (at >= 0) {
      state.index = at;
      state.selected = keepSelected;
      render();
    } else {
      selectItem(Math.min(state.index, state.queue.length - 1));
    }
    if (state.lastError && byId('status').className === 'error') {
      say('Connected to the agent again.', 'ok');
      state.lastError = null;
    }
  }

  function describe(answer) {
    const b = answer.body;
    return (b && typeof b.message === 'string' ? b.message : 'HTTP ' + answer.status) +
      (b && typeof b.error === 'string' ? ' (' + b.error + ')' : '');
  }

  async function submit() {
    const item = current();
    if (!item || state.sending) return;
    const label = item.classes[state.selected];
    state.sending = true;
    render();
    let answer;
    try {
      answer = await call('/v1/review/' + encodeURIComponent(item.predictionId), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ label }),
      });
    } catch (err) {
      state.sending = false;
      say('Not sent: the agent does not answer (' + err.message + '). Press Enter to try again.', 'error');
      render();
      return;
    }
    state.sending = false;
    const drop = () => {
      state.queue = state.queue.filter((p) => p.predictionId !== item.predictionId);
      selectItem(state.index);
    };
    if (answer.status === 200) {
      state.labelled++;
      say('Labelled "' + label + '"' + (label === item.suggestion.label ? ' (confirmed).' : ' (corrected).'), 'ok');
      drop();
    } else if (answer.status === 404 || answer.status === 409 || answer.status === 410) {
      say('Skipped: ' + describe(answer), 'warn');
      drop();
    } else if (answer.status === 429) {
      say('The agent takes no more labels this window; press Enter again in a minute. ' + describe(answer), 'warn');
      render();
    } else {
      say('Not labelled: ' + describe(answer), 'error');
      render();
    }
  }

  function render() {
    byId('pending').textContent = String(state.queue.length);
    byId('labelled').textContent = String(state.labelled);
    const item = current();
    const view = byId('item');
    const empty = byId('empty');
    view.hidden = !item;
    empty.hidden = !!item;
    if (!item) {
      view.removeAttribute('data-prediction-id');
      return;
    }
    view.setAttribute('data-prediction-id', item.predictionId);
    byId('position').textContent = 'Item ' + (state.index + 1) + ' of ' + state.queue.length;
    byId('model').textContent = item.model.name + '@' + item.model.version;
    byId('created').textContent = new Date(item.createdAt).toLocaleString();
    byId('reason').textContent = item.reason;
    const suggestion = byId('suggestion');
    suggestion.textContent = item.suggestion.label;
    suggestion.setAttribute('data-label', item.suggestion.label);
    byId('confidence').textContent = (100 * item.suggestion.confidence).toFixed(1) + ' %';
    const img = byId('image');
    const noImage = byId('no-image');
    const src = item.image ? item.image : '';
    if (src) {
      if (img.getAttribute('src') !== src) img.setAttribute('src', src);
      img.alt = 'input of prediction ' + item.predictionId;
    } else {
      img.removeAttribute('src');
    }
    img.hidden = !src;
    noImage.hidden = !!src;
    const list = byId('classes');
    list.replaceChildren();
    item.classes.forEach((name, i) => {
      const li = make('li', i === state.selected ? 'selected' : '');
      li.setAttribute('data-index', String(i));
      li.append(make('kbd', '', i < 9 ? String(i + 1) : ' '), make('span', 'name', name));
      if (name === item.suggestion.label) li.append(make('span', 'badge', 'model'));
      li.addEventListener('click', () => {
        state.selected = i;
        render();
      });
      list.append(li);
    });
    byId('confirm').disabled = state.sending;
    byId('confirm').textContent = state.sending ? 'Sending…' : 'Label "' + item.classes[state.selected] + '" (Enter)';
  }

  document.addEventListener('keydown', (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const item = current();
    if (event.key === 'Enter') {
      event.preventDefault();
      submit();
    } else if (/^[1-9]$/.test(event.key) && item && Number(event.key) <= item.classes.length) {
      state.selected = Number(event.key) - 1;
      render();
    } else if (event.key === 'ArrowDown' && item) {
      event.preventDefault();
      state.selected = (state.selected + 1) % item.classes.length;
      render();
    } else if (event.key === 'ArrowUp' && item) {
      event.preventDefault();
      state.selected = (state.selected - 1 + item.classes.length) % item.classes.length;
      render();
    } else if (event.key === 'ArrowRight') {
      selectItem(state.index + 1);
    } else if (event.key === 'ArrowLeft') {
      selectItem(state.index - 1);
    } else if (event.key === 'r') {
      refresh();
    }
  });
  byId('confirm').addEventListener('click', () => submit());
  render();
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
`;
