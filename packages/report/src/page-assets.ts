/**
 * The page's own style sheet and script (plain CSS and JS, inlined by html.ts). The script embeds
 * every chart with vega-embed (SVG renderer; export actions only — nothing that needs a network;
 * a heatmap's checkpoint slider is bound into its controls above the chart, labelled "checkpoint
 * N of M, step S" with N counted from 1) and wires each heatmap's Play/Pause button to the
 * Vega-Lite checkpoint param on a timer; under each chart, links that download its data (CSV of
 * its largest table, JSON of all of them; built in the page, offline). Layout: a sticky contents bar, the charts in a grid of
 * ≥ 520 px columns, the summary table in a box of its own that scrolls sideways. When
 * every chart has rendered it sets `data-charts="ready"` on <html> ("failed" and a console error
 * otherwise); the views are on `window.reportViews` by chart id.
 */

export const PAGE_CSS = `
:root { --fg: #1b1b1b; --muted: #555; --line: #ddd; --warn-bg: #fff6e5; --warn: #8a5a00; --page: 1880px; }
* { box-sizing: border-box; }
/* a link to a section lands below the sticky contents bar */
html { scroll-padding-top: 56px; }
body { font-family: "DejaVu Sans", Verdana, system-ui, sans-serif; color: var(--fg); margin: 0; line-height: 1.45; }
header, main, footer { max-width: var(--page); margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { font-size: 26px; margin: 0 0 6px; }
h2 { font-size: 21px; margin: 36px 0 6px; padding-top: 12px; border-top: 2px solid var(--fg); }
h3 { font-size: 16px; margin: 20px 0 6px; }
p.lead, p.description { color: var(--muted); margin: 4px 0 10px; max-width: 980px; }
/* the contents bar: a child of <body>, so it stays at the top of the window over the whole page */
nav.contents { position: sticky; top: 0; z-index: 10; background: #fff; border-bottom: 1px solid var(--line); box-shadow: 0 2px 4px rgba(0, 0, 0, 0.06); }
nav.contents ul { list-style: none; max-width: var(--page); margin: 0 auto; padding: 8px 24px; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 14px; }
nav.contents li.label { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0; font-size: 14px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.notice { background: var(--warn-bg); color: var(--warn); border-left: 4px solid #e0a030; padding: 8px 12px; margin: 8px 0; font-size: 14px; }
.note { color: var(--muted); font-size: 14px; margin: 6px 0; }
/* charts: as many columns of at least 520 px as fit (two at 1,400 px, three at 1,920 px); a chart takes its cell's width */
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 18px 28px; align-items: start; }
figure { margin: 10px 0; min-width: 0; }
figure.wide { grid-column: 1 / -1; }
/* a chart of fixed size (the concatenated ones) scrolls inside its cell rather than over the next */
.chart { max-width: 100%; overflow-x: auto; }
figcaption { font-size: 13px; color: var(--muted); max-width: 700px; margin-top: 4px; }
figcaption a { margin-left: 6px; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px; margin: 4px 0 2px; font-size: 14px; }
.controls button { font: inherit; padding: 4px 14px; border: 1px solid #888; border-radius: 4px; background: #f4f4f4; cursor: pointer; min-width: 96px; }
.controls .step { font-variant-numeric: tabular-nums; }
.bindings { font-size: 14px; }
.bindings input[type=range] { width: 420px; max-width: 100%; vertical-align: middle; }
/* the slider's own name and 0-based value are hidden: the label next to it says "checkpoint N of M, step S" */
.bindings .vega-bind-name, .bindings input[type=range] + span { display: none; }
/* the summary table fits, or scrolls sideways inside its own box */
.summary-wrap { max-width: 100%; overflow-x: auto; margin: 10px 0; }
table.summary { border-collapse: collapse; font-size: 13px; }
table.summary th, table.summary td { border: 1px solid var(--line); padding: 4px 8px; vertical-align: top; text-align: right; white-space: nowrap; }
table.summary th { white-space: normal; background: #f4f4f4; text-align: center; }
/* long experiment names wrap (at '/', '-' or anywhere) so the table fits 1,400 px windows */
table.summary td.name { text-align: left; font-weight: bold; white-space: normal; overflow-wrap: anywhere; min-width: 9em; max-width: 15em; }
table.summary td.text { text-align: left; }
table.summary td.wrap { white-space: normal; min-width: 6em; }
/* the inputs under a chart (run filter, checkpoint selector): page-sized text */
.vega-bindings { font-size: 13px; margin-top: 4px; }
.vega-bindings input[type=text] { font: inherit; width: 16em; }
.vega-bindings select { font: inherit; }
.downloads { font-size: 13px; }
footer { margin-top: 40px; padding-bottom: 40px; font-size: 13px; color: var(--muted); }
footer li { margin: 4px 0; }
`;

export const PAGE_JS = `
(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('report-specs').textContent);
  Object.keys(specs).forEach(function (id) { unpackHeatmap(specs[id]); });
  var views = {};
  window.reportViews = views;
  var options = { actions: { export: true, source: false, compiled: false, editor: false }, renderer: 'svg' };
  var jobs = Object.keys(specs).map(function (id) {
    // a chart with a slider gets it above the chart, next to its Play button
    var bind = document.getElementById(id + '--bindings');
    var opts = bind ? Object.assign({}, options, { bind: bind }) : options;
    return vegaEmbed(document.getElementById(id), specs[id], opts).then(function (result) { views[id] = result.view; });
  });
  Promise.all(jobs).then(function () {
    setupPlayers();
    setupDownloads();
    document.documentElement.setAttribute('data-charts', 'ready');
  }, function (err) {
    document.documentElement.setAttribute('data-charts', 'failed');
    console.error('report: a chart failed to render:', err);
  });

  // a heatmap's rows travel packed (heatmap-pack.ts): 16-bit codes of value / max_abs of the panel,
  // -32768 for null; rebuilt here, values to 4 significant digits, before the chart is drawn
  function unpackHeatmap(spec) {
    var meta = spec.usermeta && spec.usermeta.sortscope_heatmap;
    var p = meta && meta.packed;
    if (!p) return;
    var bin = atob(p.codes);
    var d = p.d_vocab;
    var rows = [];
    var o = 0;
    p.blocks.forEach(function (b) {
      var step = p.max_abs[b[0]] / 32767;
      for (var r = 0; r < d; r++) {
        var v = new Array(d);
        for (var c = 0; c < d; c++, o += 2) {
          var q = ((bin.charCodeAt(o) | (bin.charCodeAt(o + 1) << 8)) << 16) >> 16;
          v[c] = q === -32768 ? null : Number((q * step).toPrecision(4));
        }
        rows.push({ m: b[0], i: b[1], r: r, v: v });
      }
    });
    spec.data = { values: rows };
    delete meta.packed;
  }

  // every data table of a chart spec: top-level and layer data values, and named datasets
  function chartTables(spec) {
    var tables = [];
    (function walk(s, where) {
      if (!s || typeof s !== 'object') return;
      if (s.data && Array.isArray(s.data.values)) tables.push({ name: where, rows: s.data.values });
      ['layer', 'vconcat', 'hconcat', 'concat'].forEach(function (k) {
        if (Array.isArray(s[k])) s[k].forEach(function (v, i) { walk(v, where + '/' + k + i); });
      });
    })(spec, 'chart');
    Object.keys(spec.datasets || {}).forEach(function (k) { tables.push({ name: k, rows: spec.datasets[k] }); });
    return tables.filter(function (t) { return t.rows.length > 0; });
  }

  // RFC 4180 CSV of rows of objects: columns in order of first appearance, null/undefined empty
  function toCsv(rows) {
    var cols = [];
    rows.forEach(function (r) { Object.keys(r).forEach(function (k) { if (cols.indexOf(k) < 0) cols.push(k); }); });
    function cell(v) {
      if (v === null || v === undefined) return '';
      var t = typeof v === 'object' ? JSON.stringify(v) : String(v);
      return /[",\\r\\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
    }
    return [cols.map(cell).join(',')].concat(rows.map(function (r) { return cols.map(function (k) { return cell(r[k]); }).join(','); })).join('\\r\\n') + '\\r\\n';
  }

  // under each chart: CSV of its largest table, JSON of all its tables (made on click; offline)
  function setupDownloads() {
    Object.keys(specs).forEach(function (id) {
      var fig = document.querySelector('figure[data-chart="' + CSS.escape(id) + '"] figcaption');
      var tables = chartTables(specs[id]);
      if (!fig || tables.length === 0) return;
      var main = tables.reduce(function (a, b) { return b.rows.length > a.rows.length ? b : a; });
      var span = document.createElement('span');
      span.className = 'downloads';
      span.appendChild(document.createTextNode(' Data: '));
      [['CSV', 'csv', function () { return toCsv(main.rows); }, 'text/csv'], ['JSON', 'json', function () {
        var all = {};
        tables.forEach(function (t) { all[t.name] = t.rows; });
        return JSON.stringify(all);
      }, 'application/json']].forEach(function (d) {
        var a = document.createElement('a');
        a.href = '#';
        a.textContent = d[0];
        a.setAttribute('data-download', d[1]);
        a.download = id + '.' + d[1];
        a.addEventListener('click', function (ev) {
          var blob = new Blob([d[2]()], { type: d[3] });
          a.href = URL.createObjectURL(blob);
          setTimeout(function () { URL.revokeObjectURL(a.href); a.href = '#'; }, 1000);
          void ev;
        });
        span.appendChild(a);
      });
      fig.appendChild(span);
    });
  }

  function setupPlayers() {
    var buttons = document.querySelectorAll('button[data-player]');
    Array.prototype.forEach.call(buttons, function (button) {
      var id = button.getAttribute('data-player');
      var view = views[id];
      if (!view) return;
      var steps = JSON.parse(button.getAttribute('data-steps'));
      var delay = Number(button.getAttribute('data-delay'));
      var label = document.getElementById(id + '--step');
      var timer = null;
      var slider = document.querySelector('#' + CSS.escape(id + '--bindings') + ' input[type=range]');
      // the param is a 0-based frame index; people count checkpoints from 1
      function show(i) {
        var text = 'checkpoint ' + (i + 1) + ' of ' + steps.length + ', step ' + steps[i];
        label.textContent = text;
        if (slider) slider.setAttribute('aria-valuetext', text);
      }
      function stop() {
        clearTimeout(timer);
        timer = null;
        button.textContent = '\\u25B6 Play';
        button.setAttribute('aria-pressed', 'false');
      }
      function tick() {
        var next = (view.signal('ckpt') + 1) % steps.length;
        view.signal('ckpt', next).runAsync().then(function () {
          if (timer === null) return;
          if (next === steps.length - 1) stop();
          else timer = setTimeout(tick, delay);
        });
      }
      if (slider) slider.setAttribute('aria-label', 'checkpoint');
      show(view.signal('ckpt'));
      view.addSignalListener('ckpt', function (_, i) { show(i); });
      button.disabled = false;
      button.addEventListener('click', function () {
        if (timer !== null) { stop(); return; }
        button.textContent = '\\u275A\\u275A Pause';
        button.setAttribute('aria-pressed', 'true');
        timer = setTimeout(tick, 0);
      });
    });
  }
})();
`;
