// The main metric by epoch as a small SVG, one panel per task: ± stderr as error bars, the base
// model as a dashed line. Written by hand so that GitHub shows it inside experiment_summary.md:
// plain SVG 1.1, no scripts, no external references, text escaped.

import { chooseMainMetric, type MainMetric, type ResultRow } from './results.js';

/** Tableau 10: distinct on white, and the usual look of a results plot. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

const MARGIN = { top: 34, left: 52, bottom: 44 };
const LEGEND = { width: 200, row: 18 };
const LEGEND_CHARS = 22;

interface Series {
  run: string;
  color: string;
  /** Ascending by epoch; `stderr` draws an error bar (± stderr). */
  points: { epoch: number; value: number; stderr: number | null }[];
  /** The value of the run's base (no epoch) eval, drawn as a dashed line. */
  control: number | null;
}

interface Panel {
  task: string;
  series: Series[];
}

/**
 * The main metric by epoch: a panel per task (stacked), a line with points per run, a dashed
 * horizontal line per control eval, axes with ticks and a legend. `width` × `height` is the size of
 * one panel. Only completed evals with a value are drawn; null when there is none.
 */
export function metricChart(rows: ResultRow[], options: { width?: number; height?: number } = {}): string | null {
  const main = chooseMainMetric(rows);
  const panels = main ? plotData(rows, main) : [];
  if (!main || panels.length === 0) return null;
  const width = Math.max(360, Math.round(options.width ?? 640));
  const height = Math.max(200, Math.round(options.height ?? 300));
  const parts: string[] = [];
  let top = 0;
  for (const panel of panels) {
    const panelHeight = Math.max(height, MARGIN.top + LEGEND.row * panel.series.length + MARGIN.bottom);
    parts.push(`<g transform="translate(0,${top})">`, ...drawPanel(panel, main, width, panelHeight), '</g>');
    top += panelHeight;
  }
  const title = `${main.name} by epoch`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${top}" viewBox="0 0 ${width} ${top}" font-family="sans-serif" font-size="12">`,
    `<title>${xmlText(title)}</title>`,
    // An opaque background: on GitHub's dark theme a transparent chart would hide its black text.
    `<rect width="${width}" height="${top}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** Panels by task (alphabetically), series in the rows' run order with one colour per run throughout. */
function plotData(rows: ResultRow[], main: MainMetric): Panel[] {
  const colors = new Map<string, string>();
  const panels = new Map<string, Map<string, Series>>();
  for (const row of rows) {
    const value = row.state === 'COMPLETED' ? (row.metrics[main.key] ?? null) : null;
    if (value === null) continue;
    if (!colors.has(row.run)) colors.set(row.run, PALETTE[colors.size % PALETTE.length]!);
    const series = panels.get(row.task) ?? new Map<string, Series>();
    panels.set(row.task, series);
    const s = series.get(row.run) ?? { run: row.run, color: colors.get(row.run)!, points: [], control: null };
    series.set(row.run, s);
    const stderr = main.stderrKey ? (row.metrics[main.stderrKey] ?? null) : null;
    if (row.epoch === null) s.control = value;
    else s.points.push({ epoch: row.epoch, value, stderr });
  }
  return [...panels]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([task, series]) => ({ task, series: [...series.values()].map((s) => ({ ...s, points: s.points.sort((a, b) => a.epoch - b.epoch) })) }));
}

// ---------------------------------------------------------------------------------------------
// One panel

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function drawPanel(panel: Panel, main: MainMetric, width: number, height: number): string[] {
  const box: Box = { left: MARGIN.left, right: width - LEGEND.width - 16, top: MARGIN.top, bottom: height - MARGIN.bottom };
  const epochs = panel.series.flatMap((s) => s.points.map((p) => p.epoch));
  const values = panel.series.flatMap((s) => [...s.points.flatMap((p) => (p.stderr === null ? [p.value] : [p.value - p.stderr, p.value + p.stderr])), ...(s.control === null ? [] : [s.control])]);
  const x = epochScale(epochs, box);
  const y = valueScale(values, box);
  return [
    `<text x="${box.left}" y="20" font-size="14" font-weight="bold">${xmlText(`${panel.task}: ${main.name}`)}</text>`,
    ...y.ticks.map((t) => gridLine(box, y.at(t.value), t.label)),
    ...x.ticks.map((e) => `<text x="${num(x.at(e))}" y="${box.bottom + 16}" text-anchor="middle">${e}</text>`),
    `<text x="${num((box.left + box.right) / 2)}" y="${box.bottom + 34}" text-anchor="middle">epoch</text>`,
    `<path d="M${box.left},${box.top}V${box.bottom}H${box.right}" fill="none" stroke="#333333"/>`,
    ...panel.series.flatMap((s) => drawSeries(s, box, x.at, y.at)),
    ...panel.series.flatMap((s, i) => legendEntry(s, box.right + 16, box.top + i * LEGEND.row)),
  ];
}

function gridLine(box: Box, at: number, label: string): string {
  return (
    `<line x1="${box.left}" y1="${num(at)}" x2="${box.right}" y2="${num(at)}" stroke="#e0e0e0"/>` +
    `<text x="${box.left - 6}" y="${num(at + 4)}" text-anchor="end">${xmlText(label)}</text>`
  );
}

function drawSeries(s: Series, box: Box, x: (e: number) => number, y: (v: number) => number): string[] {
  const out: string[] = [];
  if (s.control !== null) {
    out.push(`<line x1="${box.left}" y1="${num(y(s.control))}" x2="${box.right}" y2="${num(y(s.control))}" stroke="${s.color}" stroke-width="2" stroke-dasharray="6 4"/>`);
  }
  if (s.points.length > 0) {
    const points = s.points.map((p) => [num(x(p.epoch)), num(y(p.value))] as const);
    out.push(`<polyline points="${points.map(([px, py]) => `${px},${py}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const p of s.points) if (p.stderr !== null && p.stderr > 0) out.push(errorBar(x(p.epoch), y(p.value - p.stderr), y(p.value + p.stderr), s.color));
    out.push(...points.map(([px, py]) => `<circle cx="${px}" cy="${py}" r="3.5" fill="${s.color}"/>`));
  }
  return out;
}

/** ± stderr: a vertical line with short caps. */
function errorBar(px: number, low: number, high: number, color: string): string {
  const [a, b, c, d] = [num(px - 4), num(px), num(px + 4), num(low)];
  return `<path d="M${b},${d}V${num(high)}M${a},${d}H${c}M${a},${num(high)}H${c}" fill="none" stroke="${color}" stroke-width="1.5"/>`;
}

/** A sample of the line (dashed for a control run) and the run's name, cut to fit. */
function legendEntry(s: Series, left: number, top: number): string[] {
  const dash = s.points.length === 0 ? ' stroke-dasharray="6 4"' : '';
  const chars = Array.from(s.run);
  const name = chars.length > LEGEND_CHARS ? `${chars.slice(0, LEGEND_CHARS - 1).join('')}…` : s.run;
  return [
    `<line x1="${left}" y1="${top + 6}" x2="${left + 22}" y2="${top + 6}" stroke="${s.color}" stroke-width="2"${dash}/>`,
    `<text x="${left + 28}" y="${top + 10}">${xmlText(name)}</text>`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Scales

/** Epochs across the box with a little room at the ends; one tick per epoch, thinned past 10. */
function epochScale(epochs: number[], box: Box): { at: (e: number) => number; ticks: number[] } {
  const lo = epochs.length ? Math.min(...epochs) : 0;
  const hi = epochs.length ? Math.max(...epochs) : 0;
  const [from, to] = lo === hi ? [lo - 1, hi + 1] : [lo, hi];
  const pad = 16;
  const at = (e: number) => box.left + pad + ((e - from) / (to - from)) * (box.right - box.left - 2 * pad);
  const step = Math.ceil((hi - lo + 1) / 10);
  const ticks = epochs.length ? range(lo, hi, step) : [];
  return { at, ticks };
}

/** 0–1 for values that fit (the usual scores, compared on one footing); else a rounded range. */
function valueScale(values: number[], box: Box): { at: (v: number) => number; ticks: { value: number; label: string }[] } {
  const inUnit = values.every((v) => v >= 0 && v <= 1);
  const [min, max] = inUnit ? [0, 1] : [Math.min(...values), Math.max(...values)];
  const step = niceStep((max - min || Math.abs(max) || 1) / 5);
  const lo = Math.floor(min / step) * step;
  const hi = Math.max(Math.ceil(max / step) * step, lo + step);
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const count = Math.round((hi - lo) / step);
  const ticks = range(0, count, 1).map((i) => ({ value: lo + i * step, label: (lo + i * step).toFixed(decimals) }));
  const at = (v: number) => box.bottom - ((v - lo) / (hi - lo)) * (box.bottom - box.top);
  return { at, ticks };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text

/** Coordinates to 0.1 px: short, and the same text on every run. */
const num = (v: number) => String(Math.round(v * 10) / 10);

/**
 * Character data for XML 1.0: markup characters as entities, and characters XML forbids (control
 * characters, lone surrogates, U+FFFE/U+FFFF) replaced, since one of them makes the whole file invalid.
 */
function xmlText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
