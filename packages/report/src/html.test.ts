import { describe, expect, it } from 'vitest';
import { browserLibraries } from './assets.ts';
import { jsonForScript, reportHtml, scriptSafe } from './html.ts';
import { PAGE_JS } from './page-assets.ts';
import { buildReportModel } from './model.ts';
import { ReportConfigSchema } from './schema.ts';

describe('html', () => {
  it('escapes what could end a <script> element early', () => {
    expect(scriptSafe('a = "</script><script>alert(1)</SCRIPT>"; <!-- x')).toBe('a = "<\\/script><script>alert(1)<\\/SCRIPT>"; <\\!-- x');
    const json = jsonForScript({ title: '</script><b>', s: 'a\u2028b' });
    expect(json).not.toMatch(/<\//);
    expect(JSON.parse(json)).toEqual({ title: '</script><b>', s: 'a\u2028b' });
  });

  it('inlines Vega, Vega-Lite and vega-embed and references nothing outside the file', () => {
    const libs = browserLibraries();
    expect(libs.map((l) => l.name)).toEqual(['vega', 'vega-lite', 'vega-embed']);
    for (const l of libs) expect(l.code.length).toBeGreaterThan(50_000);
    const study = buildReportModel([], ReportConfigSchema.parse({ title: 'A <study> & "more"' }));
    const html = reportHtml({ study, studyCharts: [], experimentCharts: [], libraries: libs, figures: true, gifs: {}, frameMs: 200 });
    expect(html).toContain('<title>A &lt;study&gt; &amp; &quot;more&quot;</title>');
    // outside the inlined libraries' code: no src/href to another origin, no stylesheet link, no import
    const outside = html.replace(/<script data-library[^>]*>[\s\S]*?<\/script>/g, '');
    expect(outside).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(outside).not.toMatch(/<link\b|@import|<iframe/i);
    expect(html.match(/<script data-library="([^"]+)">/g)).toEqual(libs.map((l) => `<script data-library="${l.name}@${l.version}">`));
    expect(html).toContain('<script type="application/json" id="report-specs">{}</script>');
  });

  it("the page's script is valid JavaScript as inlined (escapes in the template literal survive)", () => {
    expect(() => new Function(scriptSafe(PAGE_JS))).not.toThrow();
    expect(PAGE_JS).toContain("/[\",\\r\\n]/"); // the CSV quoting test, not a raw line break
  });
});
