"""The CSS and JavaScript inlined in the HTML walk-through; nothing is fetched from anywhere.

Every rule is scoped under ``.crx`` (the walk-through's root element), so a page and a
notebook cell can hold several walk-throughs beside other content. Without JavaScript, and
on paper, all three drawings show one under the other; the script adds the step buttons
and shows one drawing at a time.
"""

from __future__ import annotations

CSS = """
.crx {
  --crx-ink: #1f2328; --crx-muted: #59636e; --crx-line: #d1d9e0; --crx-soft: #f6f8fa;
  --crx-pos: #d9480f; --crx-neg: #1971c2; --crx-good: #2b8a3e;
  --crx-sans: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans KR",
    "Noto Sans CJK KR", "Apple SD Gothic Neo", "Malgun Gothic", "DejaVu Sans", sans-serif;
  --crx-mono: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono",
    "Noto Sans Mono CJK KR", monospace;
  color: var(--crx-ink); background: #fff; font-family: var(--crx-sans);
  font-size: 16px; line-height: 1.5; max-width: 1180px; margin: 0 auto; padding: 8px 24px 32px;
  box-sizing: border-box;
}
.crx *, .crx *::before, .crx *::after { box-sizing: inherit; }
.crx h1 { font-size: 1.75rem; margin: 0.5rem 0 0.25rem; letter-spacing: -0.01em; }
.crx h2 { font-size: 1.3rem; margin: 2.25rem 0 0.5rem; padding-bottom: 0.3rem;
  border-bottom: 1px solid var(--crx-line); }
.crx h3 { font-size: 1.05rem; margin: 1.5rem 0 0.5rem; }
.crx p { margin: 0.5rem 0; max-width: 52rem; }
.crx .crx-summary { color: var(--crx-muted); margin-bottom: 1rem; }
.crx .crx-stepper { display: none; align-items: center; gap: 12px; margin: 0.75rem 0; }
.crx.crx-js .crx-stepper { display: flex; }
.crx .crx-buttons { display: inline-flex; border: 1px solid var(--crx-ink); border-radius: 8px;
  overflow: hidden; }
.crx .crx-buttons button { font: inherit; font-weight: 600; padding: 6px 18px; border: 0;
  background: #fff; color: var(--crx-ink); cursor: pointer; }
.crx .crx-buttons button + button { border-left: 1px solid var(--crx-ink); }
.crx .crx-buttons button[aria-pressed="true"] { background: var(--crx-ink); color: #fff; }
.crx .crx-buttons button:focus-visible { outline: 3px solid var(--crx-neg); outline-offset: -3px; }
.crx .crx-hint { color: var(--crx-muted); font-size: 0.9rem; }
.crx .crx-figure { margin: 0 0 1.5rem; border: 1px solid var(--crx-line); border-radius: 10px;
  padding: 12px 16px 8px; break-inside: avoid; }
.crx.crx-js .crx-figure:not([data-active]) { display: none; }
.crx figcaption { font-size: 0.95rem; color: var(--crx-muted); }
.crx figcaption strong { color: var(--crx-ink); margin-right: 0.5em; }
.crx .crx-legend { display: flex; flex-wrap: wrap; gap: 0.25em 1.5em; margin-top: 2px; }
.crx .crx-swatch { display: inline-block; width: 22px; height: 4px; border-radius: 2px;
  vertical-align: middle; margin-right: 0.4em; }
.crx .crx-swatch.crx-pos { background: var(--crx-pos); }
.crx .crx-swatch.crx-neg { background: var(--crx-neg); }
.crx .crx-scroll { overflow-x: auto; }
.crx .crx-svg { display: block; max-width: 100%; height: auto; margin: 4px auto 0; }
.crx .crx-svg text { font-family: var(--crx-mono); fill: var(--crx-ink); paint-order: stroke;
  stroke: #fff; stroke-width: 4px; stroke-linejoin: round; dominant-baseline: central; }
.crx .crx-svg .crx-column { font-family: var(--crx-sans); font-size: 13px; fill: var(--crx-muted);
  text-anchor: middle; letter-spacing: 0.08em; text-transform: uppercase; }
.crx .crx-svg line { stroke: #adb5bd; }
.crx .crx-svg line.crx-bias { stroke-dasharray: 9 6; }
.crx .crx-svg line.crx-pos { stroke: var(--crx-pos); }
.crx .crx-svg line.crx-neg { stroke: var(--crx-neg); }
.crx .crx-svg circle { stroke-width: 2.5px; }
.crx .crx-input circle { fill: #f1f3f5; stroke: #868e96; }
.crx .crx-hidden circle { fill: #f3f0ff; stroke: #7048e8; }
.crx .crx-output circle { fill: #e6fcf5; stroke: #0c8599; }
.crx .crx-bias circle { fill: #fff; stroke: #868e96; stroke-dasharray: 4 3; stroke-width: 1.5px; }
.crx .crx-svg .crx-name { font-family: var(--crx-sans); font-size: 17px; font-weight: 700;
  text-anchor: middle; stroke: none; }
.crx .crx-bias .crx-name { font-size: 13px; font-weight: 600; fill: var(--crx-muted); }
.crx .crx-compact .crx-name { font-size: 11px; }
.crx .crx-compact circle { stroke-width: 1.5px; }
.crx .crx-svg .crx-key { font-family: var(--crx-sans); font-size: 12px; fill: var(--crx-muted);
  text-anchor: end; }
.crx .crx-svg .crx-value { font-size: 14px; }
.crx .crx-svg .crx-side { font-size: 14px; }
.crx .crx-svg .crx-side .crx-key { text-anchor: start; }
.crx .crx-svg .crx-sub { font-size: 11px; }
.crx .crx-total rect { fill: var(--crx-soft); stroke: #adb5bd; }
.crx .crx-svg .crx-total text { font-size: 15px; font-weight: 700; stroke: none; }
.crx .crx-svg .crx-total .crx-key { font-weight: 600; }
.crx .crx-total-update rect { fill: #ebfbee; stroke: var(--crx-good); }
.crx .crx-svg .crx-total-update text { fill: var(--crx-good); }
.crx .crx-label rect { fill: #fff; stroke: #ced4da; stroke-width: 1px; }
.crx .crx-label.crx-pos rect { stroke: var(--crx-pos); }
.crx .crx-label.crx-neg rect { stroke: var(--crx-neg); }
.crx .crx-svg .crx-label text { font-size: 13px; text-anchor: middle; stroke: none; }
.crx .crx-svg .crx-param { font-family: var(--crx-sans); font-weight: 700; }
.crx .crx-svg .crx-label.crx-pos .crx-param { fill: var(--crx-pos); }
.crx .crx-svg .crx-label.crx-neg .crx-param { fill: var(--crx-neg); }
.crx .crx-table-wrap { overflow-x: auto; margin: 0.5rem 0 1rem; }
.crx table { border-collapse: collapse; font-size: 0.95rem; }
.crx caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 0.35rem; }
.crx th, .crx td { padding: 5px 14px; text-align: left; white-space: nowrap; }
.crx thead th { background: var(--crx-soft); border-bottom: 2px solid var(--crx-line);
  font-weight: 600; }
.crx tbody tr { border-bottom: 1px solid #eaeef2; }
.crx tbody + tbody { border-top: 2px solid var(--crx-line); }
.crx td.crx-num { font-family: var(--crx-mono); font-variant-numeric: tabular-nums;
  padding-left: calc(var(--crx-pad, 0) * 1ch + 14px); }
.crx td:first-child { font-weight: 600; }
.crx td.crx-word { color: var(--crx-muted); }
@media print {
  .crx { max-width: none; padding: 0; font-size: 12pt; }
  .crx.crx-js .crx-stepper { display: none; }
  .crx.crx-js .crx-figure:not([data-active]) { display: block; }
  .crx .crx-figure, .crx table, .crx tr { break-inside: avoid; }
  .crx h2, .crx h3 { break-after: avoid; }
  .crx .crx-table-wrap, .crx .crx-scroll { overflow: visible; }
  .crx .crx-svg { min-width: 0 !important; }
  .crx * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

PAGE_CSS = """
html { background: #fff; }
body { margin: 0; }
"""

# Records any error in the page on <html data-errors="...">, where a test can read it.
ERROR_HOOK_JS = """
window.addEventListener("error", function (event) {
  var root = document.documentElement;
  var seen = root.getAttribute("data-errors");
  root.setAttribute("data-errors", (seen ? seen + " | " : "") + event.message);
});
"""

# Called as STEPPER_JS(root element, page): the buttons and ←/→ choose the step shown; on a
# page (not in a notebook) the URL's #forward, #backward or #update chooses it too.
STEPPER_JS = """
(function (root, page) {
  var steps = ["forward", "backward", "update"];
  var figures = root.querySelectorAll(".crx-figure");
  var buttons = root.querySelectorAll(".crx-buttons button");
  function show(step) {
    if (steps.indexOf(step) < 0) step = steps[0];
    root.setAttribute("data-step", step);
    figures.forEach(function (figure) {
      figure.toggleAttribute("data-active", figure.getAttribute("data-step") === step);
    });
    buttons.forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-step") === step));
    });
  }
  function go(step) {
    show(step);
    if (page) {
      try { history.replaceState(null, "", "#" + step); } catch (ignored) { /* sandboxed */ }
    }
  }
  function move(by) {
    var index = steps.indexOf(root.getAttribute("data-step")) + by;
    go(steps[Math.max(0, Math.min(steps.length - 1, index))]);
  }
  buttons.forEach(function (button) {
    button.addEventListener("click", function () { go(button.getAttribute("data-step")); });
  });
  (page ? document : root).addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var tag = event.target && event.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      move(event.key === "ArrowRight" ? 1 : -1);
      event.preventDefault();
    }
  });
  if (page) {
    window.addEventListener("hashchange", function () { show(location.hash.slice(1)); });
  }
  root.classList.add("crx-js");
  show(page ? location.hash.slice(1) : steps[0]);
})
"""

# The matrix form: each equation a grid of two rows (the names and shapes, then the matrices
# with the operators between them), each matrix a grid of numbers between square brackets.
MATRIX_CSS = """
.crx .crx-eq-wrap { overflow-x: auto; margin: 0.5rem 0 1rem; }
.crx .crx-eq { display: inline-grid; grid-template-rows: auto auto; grid-auto-flow: column;
  gap: 2px 12px; align-items: center; justify-items: center; }
.crx .crx-eq-name { align-self: end; text-align: center; font-weight: 600; white-space: nowrap; }
.crx .crx-eq-name small { display: block; color: var(--crx-muted); font-weight: 400; }
.crx .crx-eq-op { font-weight: 600; }
.crx .crx-mat, .crx .crx-eq-num { font-family: var(--crx-mono); font-variant-numeric: tabular-nums;
  white-space: pre; }
.crx .crx-mat { display: inline-grid; gap: 1px 2ch; padding: 2px 10px; position: relative; }
.crx .crx-mat::before, .crx .crx-mat::after { content: ""; position: absolute; top: 0;
  bottom: 0; width: 5px; border: 1.5px solid var(--crx-ink); }
.crx .crx-mat::before { left: 0; border-right: 0; }
.crx .crx-mat::after { right: 0; border-left: 0; }
.crx .crx-mat > span { padding-left: calc(var(--crx-pad, 0) * 1ch); }
"""
