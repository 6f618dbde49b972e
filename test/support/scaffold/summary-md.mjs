// experiment_summary.md as cruijff_kit's design-experiment skill wrote it in Oct–Nov 2025, from a
// design object. Two shapes exist in the wild (shared/spec/field-notes.md §1):
//   - before 2025-10-28: `# Experiment: {name}` and a `## Status` section with the Fine-tuning and
//     Evaluations tables (statusTables: true, titleStyle: 'experiment');
//   - after: `# {Name}` and no Status section (statusTables: false, titleStyle: 'name').
// Section order follows the skill's template: Overview, Tools, Variables, All Runs, Resources,
// Evaluation Plan, Configuration, Compute Estimates, Naming Conventions, Status, Quick Reference,
// then Notes. Every section but Overview, All Runs, Evaluation Plan and Configuration appears only
// when the design has something for it. Tables: header, a `|---|` row with two dashes more than
// each header, one row per line.
import { dirname } from 'node:path';
import { epochsOf, evalsOf, experimentName, modelOf, tasksOf, typeLabel } from './design.mjs';

// Names go into table cells: a pipe (or backslash) in one is escaped, as GFM tables need.
const text = (s) => String(s).replace(/[\\|]/g, '\\$&');
const row = (cells) => `| ${cells.join(' | ')} |`;
const sep = (headers) => `|${headers.map((h) => '-'.repeat(h.length + 2)).join('|')}|`;
const table = (headers, rows) => [row(headers), sep(headers), ...rows.map(row)];

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function overview(design) {
  const count = (type) => design.runs.filter((r) => r.type === type).length;
  const parts = [`${count('fine-tuned')} fine-tuned`];
  if (count('control')) parts.push(plural(count('control'), 'control'));
  if (count('eval-only')) parts.push(`${count('eval-only')} eval-only`);
  const lines = ['## Overview'];
  if (design.type) lines.push(`- **Type:** ${design.type}`);
  lines.push(`- **Total Runs:** ${design.runs.length} (${parts.join(' + ')})`);
  if (design.question) lines.push(`- **Scientific Question:** ${design.question}`);
  if (design.created) lines.push(`- **Created:** ${design.created}`);
  return lines;
}

function tools(md) {
  if (md.tools === 'long') {
    return [
      '## Tools',
      '- **Model Preparation:** torchtune',
      '  - *Current status:* Only option available',
      '  - *Purpose:* Fine-tuning LLMs with LoRA',
      '  - *Used by:* `scaffold-torchtune` and `run-torchtune` skills',
      '- **Evaluation:** inspect-ai',
      '  - *Current status:* Only option available',
      '  - *Purpose:* Task-specific evaluation',
      '  - *Used by:* `scaffold-inspect` and `run-inspect` skills',
    ];
  }
  return ['## Tools', '- **Model Preparation:** torchtune', '- **Evaluation:** inspect-ai'];
}

function allRuns(design) {
  const columns = design.columns ?? [];
  const headers = ['Run Name', 'Model', ...columns, 'Type', 'Est. Time'];
  const rows = design.runs.map((r) => [
    text(r.name),
    modelOf(design, r).name,
    ...columns.map((c) => String(r.params?.[c] ?? '-')),
    typeLabel(r.type),
    r.estTime ?? (r.type === 'fine-tuned' ? '-' : 'N/A'),
  ]);
  return ['## All Runs', ...table(headers, rows)];
}

function resources(design) {
  const lines = ['## Resources', '### Models', ...(design.models ?? []).map((m) => `- \`${m.path}\` ✓`)];
  if (design.dataset) lines.push('### Dataset', `- \`${design.dataset.path}\` ✓`);
  lines.push(
    '### Evaluation Tasks',
    ...table(
      ['Task Name', 'Script', 'Dataset', 'Description'],
      design.tasks.map((t) => [text(t.name), `\`${t.script}\` ✓`, t.dataset ? `\`${t.dataset}\` ✓` : '-', t.description ?? '-']),
    ),
  );
  return lines;
}

function evaluationPlan(design, md) {
  if (typeof md.evaluationPlan === 'string') return ['## Evaluation Plan', ...md.evaluationPlan.split('\n')];
  const epochs = [...new Set(design.runs.flatMap((r) => epochsOf(design, r) ?? []))].sort((a, b) => a - b);
  const tasks = design.tasks.map((t) => t.name);
  const rows = design.runs.map((r) => {
    const mine = tasksOf(design, r);
    const cells = tasks.map((t) => (!mine.includes(t) ? '-' : r.type === 'fine-tuned' ? `✓ epoch ${epochsOf(design, r).join(',')}` : '✓'));
    return [text(r.name), ...cells, r.note ?? '-'];
  });
  return [
    '## Evaluation Plan',
    '### Configuration',
    `- **Epochs to evaluate:** ${epochs.join(', ')}`,
    `- **Total evaluations:** ${evalsOf(design).length}`,
    '',
    '### Evaluation Matrix',
    ...table(['Run Name', ...tasks.map(text), 'Notes'], rows),
  ];
}

function configuration(design, md) {
  const lines = ['## Configuration'];
  if (md.training) lines.push('### Training', ...Object.entries(md.training).map(([k, v]) => `- **${k}:** ${v}`));
  const ck = design.checkpointDir ?? '';
  lines.push('### Output', `- **Checkpoint directory:** \`${ck}\``, '- **Naming pattern:** `ck-out-{run_name}/epoch_{N}`');
  if (md.outputExample) {
    const first = design.runs.find((r) => r.type === 'fine-tuned');
    if (first) lines.push(`- **Example:** \`${ck}${ck.endsWith('/') ? '' : '/'}ck-out-${first.name}/epoch_${epochsOf(design, first)[0]}\``);
  }
  return lines;
}

function subsections(title, body) {
  return [`## ${title}`, ...Object.entries(body).flatMap(([h, items]) => [`### ${h}`, ...items.map((i) => `- ${i}`)])];
}

/** The two Status tables as the older template initialised them (fine-tuning filled in by the design). */
function status(design) {
  const ft = design.runs.filter((r) => r.type === 'fine-tuned');
  const ftRows = ft.map((r) => {
    const f = r.finetune ?? {};
    return [text(r.name), f.status ?? 'pending', f.jobId ?? '-', f.started ?? '-', f.completed ?? '-', f.notes ?? '-'];
  });
  const evalRows = evalsOf(design).map((e) => [text(e.run), text(e.task), e.epoch === null ? '-' : String(e.epoch), 'pending', '-', '-', e.epoch === null ? 'Base model' : '-']);
  return [
    '## Status',
    '',
    '### Fine-tuning',
    ...table(['Run Name', 'Status', 'Job ID', 'Started', 'Completed', 'Notes'], ftRows),
    '',
    'Status values: `pending`, `running`, `completed`, `failed`',
    '',
    '### Evaluations',
    ...table(['Run Name', 'Task', 'Epoch', 'Status', 'Job ID', 'Completed', 'Notes'], evalRows),
  ];
}

function quickReference(design, md) {
  const paths = [`- **Experiment:** \`${design.dir ?? experimentName(design)}\``];
  if (md.quickReferenceModels && design.models?.length) paths.push(`- **Models:** \`${dirname(design.models[0].path)}/\``);
  return ['## Quick Reference', '### Paths', ...paths];
}

/**
 * Renders experiment_summary.md for a design.
 * @param {import('../scaffold.mjs').Design} design
 * @param {{ statusTables?: boolean, titleStyle?: 'experiment' | 'name' }} [opts]
 *   statusTables: add the `## Status` section (summaries made before 2025-10-28); default false.
 *   titleStyle: `# Experiment: {name}` ('experiment', older) or `# {title}` ('name', newer; the
 *   design's `title`, else its name); default 'name'.
 * @returns {string} the file's text, LF line endings, one trailing newline
 */
export function renderSummaryMd(design, opts = {}) {
  const md = design.md ?? {};
  const title = (opts.titleStyle ?? 'name') === 'experiment' ? `# Experiment: ${experimentName(design)}` : `# ${design.title ?? experimentName(design)}`;
  const sections = [[title], overview(design), tools(md)];
  if (design.variables?.length) sections.push(['## Variables', ...table(['Factor', 'Levels'], design.variables.map((v) => [v.factor, v.levels.join(', ')]))]);
  sections.push(allRuns(design));
  if (md.resources) sections.push(resources(design));
  sections.push(evaluationPlan(design, md), configuration(design, md));
  if (md.compute) sections.push(subsections('Compute Estimates', md.compute));
  if (md.namingConventions) sections.push(['## Naming Conventions', ...md.namingConventions.map((l) => `- ${l}`)]);
  if (opts.statusTables) sections.push(status(design));
  sections.push(quickReference(design, md));
  if (md.notes) sections.push(['## Notes', ...md.notes.split('\n')]);
  return `${sections.map((s) => s.join('\n')).join('\n\n')}\n`;
}
