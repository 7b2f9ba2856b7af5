// The station page's markup and style: static text; the script fills it in with textContent only.
export const STATION_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>EdgeFleet station review</title>
<link rel="stylesheet" href="/station/station.css">
<script src="/station/station.js" defer></script>
</head>
<body>
<header>
  <h1>Review</h1>
  <p class="counts">Pending <strong id="pending">0</strong> · Labelled this session <strong id="labelled">0</strong></p>
</header>
<p id="status" class="ok" role="status" aria-live="polite">Loading the review queue…</p>
<main>
  <p id="empty">Nothing to review.</p>
  <section id="item" hidden>
    <figure>
      <img id="image" alt="">
      <figcaption id="no-image" hidden>No image kept (tensor input, evicted by the budget, or expired).</figcaption>
    </figure>
    <div class="side">
      <p id="position"></p>
      <p>Model suggests <strong id="suggestion"></strong> at <span id="confidence"></span></p>
      <ol id="classes"></ol>
      <button id="confirm" type="button"></button>
      <dl>
        <dt>Model</dt><dd id="model"></dd>
        <dt>Made</dt><dd id="created"></dd>
        <dt>Why review</dt><dd id="reason"></dd>
      </dl>
    </div>
  </section>
</main>
<footer>
  <kbd>Enter</kbd> label the chosen class (the model's suggestion unless you change it) ·
  <kbd>1</kbd>–<kbd>9</kbd> choose a class · <kbd>↑</kbd><kbd>↓</kbd> move through the classes ·
  <kbd>←</kbd><kbd>→</kbd> previous / next item · <kbd>r</kbd> refresh
</footer>
</body>
</html>
`;

export const STATION_CSS = `
:root { font-family: system-ui, sans-serif; color: #111; background: #f4f4f4; }
body { margin: 0 auto; max-width: 1100px; padding: 1rem; }
header { display: flex; align-items: baseline; justify-content: space-between; }
h1 { margin: 0; font-size: 1.5rem; }
.counts { font-size: 1.2rem; }
#status { padding: 0.5rem 0.75rem; border-radius: 4px; min-height: 1.4em; }
#status.ok { background: #e6f4ea; }
#status.warn { background: #fff4d6; }
#status.error { background: #fde2e1; color: #8a1111; font-weight: 600; }
#item { display: flex; gap: 1.5rem; align-items: flex-start; }
#item[hidden], [hidden] { display: none; }
figure { margin: 0; flex: 1 1 60%; background: #222; min-height: 200px; display: flex;
  align-items: center; justify-content: center; }
#image { max-width: 100%; max-height: 70vh; image-rendering: pixelated; }
figcaption { color: #eee; padding: 1rem; }
.side { flex: 1 1 40%; }
#suggestion { font-size: 1.4rem; }
ol { list-style: none; padding: 0; }
li { display: flex; gap: 0.75rem; align-items: center; padding: 0.5rem; border: 2px solid transparent;
  border-radius: 4px; cursor: pointer; font-size: 1.2rem; overflow-wrap: anywhere; }
li.selected { border-color: #1a56db; background: #e8efff; }
.badge { font-size: 0.8rem; background: #ddd; border-radius: 3px; padding: 0 0.3rem; }
kbd { border: 1px solid #999; border-radius: 3px; padding: 0 0.3rem; background: #fff; font-size: 0.9rem; }
button { font-size: 1.1rem; padding: 0.5rem 1rem; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 0.25rem 0.75rem; color: #444; }
dd { margin: 0; overflow-wrap: anywhere; }
footer { margin-top: 1.5rem; color: #444; }
`;
