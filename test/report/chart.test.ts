// The results chart: a self-contained SVG that GitHub renders, the same bytes for the same rows.
import { describe, expect, test } from 'vitest';
import { metricChart } from '../../src/report/chart.js';
import type { ResultRow } from '../../src/report/results.js';

function row(run: string, epoch: number | null, state: string, accuracy: number | null, task = 'reverse_words'): ResultRow {
  const metrics = { 'match/accuracy': accuracy, 'match/stderr': 0.01 };
  return { key: `${run}_${task}_${epoch ?? 'base'}`, run, task, epoch, state, metrics, params: {}, samples: null, job_id: null, elapsed: null, log_path: null, reason: null, failure: null, cost: null };
}

/** 2 runs × 2 epochs (one FAILED) and a control, as resultRows orders them. */
const ROWS = [
  row('r4', 0, 'COMPLETED', 0.6),
  row('r4', 1, 'COMPLETED', 0.873),
  row('r16', 0, 'COMPLETED', 0.714),
  row('r16', 1, 'FAILED', null),
  row('Llama-3.2-3B_base', null, 'COMPLETED', 0.412),
];

/**
 * A small XML well-formedness check for what we write: one root, balanced tags, quoted
 * attributes, no stray `<` or `&` in text. Returns the element names in document order.
 */
function checkXml(svg: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  while (token.lastIndex < svg.length) {
    const m = token.exec(svg);
    if (!m) throw new Error(`not well-formed at ${JSON.stringify(svg.slice(token.lastIndex, token.lastIndex + 40))}`);
    const [, close, name, , selfClose, text] = m;
    if (text !== undefined) {
      expect(text).not.toMatch(/&(?!(?:amp|lt|gt|quot|#\d+);)/);
      if (stack.length === 0) expect(text.trim()).toBe(''); // nothing outside the root
    } else if (close) {
      expect(stack.pop()).toBe(name);
    } else {
      if (stack.length === 0) expect(names).toEqual([]); // a single root
      names.push(name!);
      if (!selfClose) stack.push(name!);
    }
  }
  expect(stack).toEqual([]);
  return names;
}

/** The points of each polyline as [x, y] pairs. */
function polylines(svg: string): number[][][] {
  return [...svg.matchAll(/<polyline points="([^"]*)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number)));
}

test('the well-formedness check rejects what it should', () => {
  for (const bad of ['<svg><g></svg>', '<svg>a & b</svg>', '<svg><x a=1/></svg>', '<svg/><svg/>', 'x<svg/>', '<svg><</svg>']) {
    expect(() => checkXml(bad), bad).toThrow();
  }
  expect(checkXml('<svg a="1"><g/>t &amp; &#39;</svg>\n')).toEqual(['svg', 'g']);
});

describe('metricChart', () => {
  test('a well-formed SVG 1.1 root with the SVG namespace, a title and a size', () => {
    const svg = metricChart(ROWS)!;
    const names = checkXml(svg);
    expect(names[0]).toBe('svg');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" version="1\.1" width="640" height="300" viewBox="0 0 640 300"/);
    expect(svg).toContain('<title>accuracy by epoch</title>');
    expect(svg.endsWith('</svg>\n')).toBe(true);
  });

  test('self-contained: no scripts, links, external references or styles to fetch', () => {
    const svg = metricChart(ROWS)!;
    expect(svg).not.toMatch(/<script|<a\b|<image|<foreignObject|<style|href=|url\(|\son\w+=/i);
    expect(new Set(checkXml(svg))).toEqual(new Set(['svg', 'title', 'rect', 'g', 'text', 'line', 'path', 'polyline', 'circle']));
  });

  test('a line with points per fine-tuned run, a dashed line for the control, a legend entry each', () => {
    const svg = metricChart(ROWS)!;
    const [r4, r16] = polylines(svg);
    expect(polylines(svg)).toHaveLength(2);
    expect(r4).toHaveLength(2);
    expect(r4![1]![0]).toBeGreaterThan(r4![0]![0]!); // epoch 1 right of epoch 0
    expect(r4![1]![1]).toBeLessThan(r4![0]![1]!); // 0.873 above 0.6
    expect(r16).toHaveLength(1); // the FAILED epoch is not drawn
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2); // the control's line and its legend sample
    for (const name of ['r4', 'r16', 'Llama-3.2-3B_base']) expect(svg).toContain(`>${name}</text>`);
  });

  test('an error bar of ± stderr at each point (stderr 0.01 → 0.02 of the 0–1 axis); none without a stderr', () => {
    const svg = metricChart(ROWS)!;
    const bars = [...svg.matchAll(/<path d="M([\d.]+),([\d.]+)V([\d.]+)M/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
    expect(bars).toHaveLength(3); // r4 epochs 0 and 1, r16 epoch 0 (the failed eval and the control have none)
    const points = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    // each bar is centred on a point, and 0.02 of the axis tall (0.01 either side)
    const axis = Math.abs(Number(/<path d="M[\d.]+,([\d.]+)V([\d.]+)H/.exec(svg)![2]) - Number(/<path d="M[\d.]+,([\d.]+)V/.exec(svg)![1]));
    for (const [x, low, high] of bars) {
      const point = points.find(([px]) => px === x && points.some(([, py]) => Math.abs(py - (low! + high!) / 2) < 0.2))!;
      expect(point).toBeDefined();
      expect(Math.abs(low! - high!)).toBeCloseTo(axis * 0.02, 0);
    }
    const noErr = metricChart(ROWS.map((r) => ({ ...r, metrics: { 'match/accuracy': r.metrics['match/accuracy']! } })))!;
    expect(noErr).not.toMatch(/<path d="M[\d.]+,[\d.]+V[\d.]+M/);
  });

  test('axes with ticks: 0–1 for scores, one tick per epoch, titled by task and metric', () => {
    const svg = metricChart(ROWS)!;
    expect([...svg.matchAll(/text-anchor="end">([^<]*)</g)].map((m) => m[1])).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    expect([...svg.matchAll(/text-anchor="middle">([^<]*)</g)].map((m) => m[1])).toEqual(['0', '1', 'epoch']);
    expect(svg).toContain('>reverse_words: accuracy</text>');
  });

  test('other metrics get a rounded range', () => {
    const rows = [12.5, 40, 31].map((v, i) => ({ ...row('r4', i, 'COMPLETED', null), metrics: { 'judge/mean': v } }));
    const svg = metricChart(rows)!;
    expect([...svg.matchAll(/text-anchor="end">([^<]*)</g)].map((m) => m[1])).toEqual(['10', '20', '30', '40']);
    expect(svg).toContain('>reverse_words: mean</text>');
  });

  test('names are escaped, and characters XML forbids are replaced', () => {
    const svg = metricChart([row('<b>&"x\'\u0001', 0, 'COMPLETED', 0.5, 'a<&>b')])!;
    checkXml(svg);
    expect(svg).toContain('>&lt;b&gt;&amp;&quot;x&#39;\ufffd</text>');
    expect(svg).toContain('>a&lt;&amp;&gt;b: accuracy</text>');
  });

  test('one panel per task, stacked, alphabetically; one colour per run throughout', () => {
    const svg = metricChart([...ROWS, row('r4', 0, 'COMPLETED', 0.3, 'capitalization')], { width: 500, height: 250 })!;
    checkXml(svg);
    expect(svg).toContain('width="500" height="500"');
    expect([...svg.matchAll(/<g transform="translate\(0,(\d+)\)">/g)].map((m) => m[1])).toEqual(['0', '250']);
    expect(svg.indexOf('capitalization: accuracy')).toBeLessThan(svg.indexOf('reverse_words: accuracy'));
    const r4Colors = [...svg.matchAll(/<circle [^>]*fill="(#\w+)"/g)].map((m) => m[1]);
    expect(r4Colors[0]).toBe(r4Colors[1]); // r4 in capitalization and in reverse_words
  });

  test('many runs: the panel grows to fit the legend; long names are cut', () => {
    const many = Array.from({ length: 20 }, (_, i) => row(`run_with_a_rather_long_name_${i}`, 0, 'COMPLETED', i / 20));
    const svg = metricChart(many)!;
    checkXml(svg);
    expect(Number(svg.match(/height="(\d+)"/)![1])).toBeGreaterThan(300);
    expect(svg).toContain('>run_with_a_rather_lon…</text>');
  });

  test('deterministic', () => {
    expect(metricChart(ROWS)).toBe(metricChart(ROWS.map((r) => ({ ...r }))));
  });

  test('null when there is nothing to plot', () => {
    expect(metricChart([])).toBeNull();
    expect(metricChart([row('r4', 0, 'FAILED', null), row('r4', 1, 'RUNNING', null)])).toBeNull();
    expect(metricChart([{ ...row('r4', 0, 'PENDING', null), metrics: {} }])).toBeNull();
  });
});
