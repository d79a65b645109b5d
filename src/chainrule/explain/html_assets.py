"""The CSS and JavaScript inlined in the HTML walk-through; nothing is fetched from anywhere.

Every rule is scoped under ``.crx`` (the walk-through's root element), so a page and a
notebook cell can hold several walk-throughs beside other content. Without JavaScript, and
on paper, all three drawings show one under the other and no control shows; the script
marks the root ``crx-js``, which shows the controls and one drawing at a time. The script
itself is page.js, beside this module.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

CSS = """
.crx {
  --crx-ink: #1f2328; --crx-muted: #59636e; --crx-line: #d1d9e0; --crx-soft: #f6f8fa;
  --crx-pos: #d9480f; --crx-neg: #1971c2; --crx-good: #2b8a3e;
  --crx-sans: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans KR",
    "Noto Sans CJK KR", "Nanum Gothic", "Apple SD Gothic Neo", "Malgun Gothic", "DejaVu Sans",
    sans-serif;
  --crx-mono: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono",
    "Noto Sans Mono CJK KR", "D2Coding", "Nanum Gothic Coding", "Noto Sans KR", "Nanum Gothic",
    "Apple SD Gothic Neo", "Malgun Gothic", monospace;
  --crx-lit: #f08c00; --crx-lit-soft: #fff3bf; --crx-bad: #c92a2a;
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
.crx:not(.crx-js) .crx-needs-js { display: none; }
.crx .crx-stepper { display: none; align-items: center; gap: 12px; margin: 0.75rem 0; }
.crx.crx-js .crx-stepper { display: flex; }
.crx .crx-error { color: var(--crx-bad); background: #fff5f5; border: 1px solid #ffc9c9;
  border-radius: 8px; padding: 8px 12px; font-weight: 600; max-width: none; }
.crx .crx-play { border: 1px solid var(--crx-line); border-radius: 10px; padding: 4px 16px 12px;
  margin: 0.75rem 0; background: var(--crx-soft); }
.crx.crx-js .crx-play { display: grid; grid-template-columns: minmax(0, 1fr) minmax(220px, 340px);
  column-gap: 24px; align-items: start; }
.crx .crx-play .crx-play-title { grid-column: 1 / -1; font-size: 1.05rem; margin: 0.5rem 0;
  padding: 0; border: 0; }
@media (max-width: 720px) { .crx.crx-js .crx-play { grid-template-columns: minmax(0, 1fr); } }
.crx .crx-fields { display: flex; flex-wrap: wrap; gap: 8px 20px; }
.crx fieldset { border: 0; margin: 0; padding: 0; display: flex; flex-wrap: wrap;
  gap: 6px 10px; align-items: center; }
.crx legend { float: left; font-weight: 600; margin-right: 4px; padding: 0; }
.crx .crx-field, .crx .crx-cell { display: inline-flex; align-items: center; gap: 4px;
  font-family: var(--crx-mono); font-size: 0.9rem; }
.crx .crx-field > span:first-child { color: var(--crx-muted); }
.crx .crx-cell > span { color: var(--crx-muted); font-size: 0.8rem; min-width: 2.5em;
  text-align: right; }
.crx input[type="number"] { font: inherit; width: 8.5em; padding: 2px 4px;
  border: 1px solid #adb5bd; border-radius: 4px; background: #fff; color: var(--crx-ink); }
.crx input[aria-invalid="true"] { border-color: var(--crx-bad); outline: 1px solid var(--crx-bad); }
.crx .crx-parameters { margin: 8px 0; }
.crx .crx-parameters summary { cursor: pointer; font-weight: 600; }
.crx .crx-parameters[open] summary { margin-bottom: 4px; }
.crx table.crx-grid { display: inline-table; vertical-align: top; margin: 0 16px 8px 0;
  font-size: 0.9rem; }
.crx .crx-grid th, .crx .crx-grid td { padding: 2px 6px; }
.crx .crx-grid thead th { background: none; border-bottom: 1px solid var(--crx-line); }
.crx .crx-grid tbody tr { border: 0; }
.crx .crx-train { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px;
  margin-top: 6px; }
.crx .crx-train input.crx-train-steps { width: 6em; }
.crx .crx-play button, .crx .crx-factors button { font: inherit; font-weight: 600;
  padding: 4px 14px; border: 1px solid var(--crx-ink); border-radius: 6px; background: #fff;
  color: var(--crx-ink); cursor: pointer; }
.crx .crx-play button:hover, .crx .crx-factors button:hover { background: var(--crx-soft); }
.crx .crx-notice { color: var(--crx-bad); margin: 0; min-height: 1.5em; }
.crx .crx-chart-box { margin: 0; }
.crx .crx-chart-box p { font-size: 0.9rem; color: var(--crx-muted); margin: 0 0 4px; }
.crx .crx-chart { display: block; width: 100%; max-width: 480px; height: auto; background: #fff;
  border: 1px solid var(--crx-line); border-radius: 6px; }
.crx .crx-chart text { font-family: var(--crx-mono); font-size: 11px; fill: var(--crx-muted); }
.crx .crx-chart .crx-curve { fill: none; stroke: var(--crx-neg); stroke-width: 2px; }
.crx .crx-chart circle { fill: var(--crx-neg); }
.crx .crx-chart .crx-axis { stroke: #adb5bd; stroke-width: 1px; }
.crx .crx-factors { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px;
  margin: 8px 0 4px; }
.crx .crx-factor-buttons { display: inline-flex; gap: 6px; }
.crx .crx-factor-count { font-family: var(--crx-mono); color: var(--crx-muted); }
.crx .crx-factor-caption { flex-basis: 100%; margin: 0; max-width: none; min-height: 3em; }
.crx .crx-formula { font-family: var(--crx-mono); font-size: 0.92rem; white-space: normal; }
.crx [data-k].crx-lit { background: var(--crx-lit-soft); box-shadow: 0 0 0 2px var(--crx-lit);
  border-radius: 3px; }
.crx .crx-lit-row, .crx tr.crx-lit-row td { background: var(--crx-lit-soft); }
.crx .crx-svg tspan.crx-lit { fill: #d9480f; font-weight: 700; }
.crx .crx-svg line.crx-lit { stroke: var(--crx-lit); stroke-width: 5px; }
.crx .crx-svg .crx-label.crx-lit rect { stroke: var(--crx-lit); stroke-width: 2.5px; }
.crx .crx-svg .crx-node.crx-lit circle { stroke: var(--crx-lit); stroke-width: 4px; }
.crx.crx-focus .crx-svg line:not(.crx-lit), .crx.crx-focus .crx-svg .crx-label:not(.crx-lit),
.crx.crx-focus .crx-svg .crx-node:not(.crx-lit) { opacity: 0.25; }
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
.crx .crx-svg { display: block; width: 100%; height: auto; margin: 4px auto 0; }
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
.crx .crx-svg .crx-input-value { text-anchor: end; }
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
  .crx.crx-js .crx-stepper, .crx.crx-js .crx-needs-js { display: none; }
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


@cache
def page_script() -> str:
    """The page's script (page.js, shipped with the package): defines
    ``chainruleExplain.start(root, page)``, which brings one walk-through to life."""
    return files(__package__).joinpath("page.js").read_text(encoding="utf-8")
