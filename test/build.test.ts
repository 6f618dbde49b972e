// build.mjs: the one file it writes runs a command without compiling the chunks that command does
// not import, and the build refuses what a split build would break.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
// @ts-expect-error build.mjs is plain JavaScript without types
import { bundleText } from '../build.mjs';

const REPO = resolve(import.meta.dirname, '..');

/** A checkout with `files` under src/ (cli.ts the entry), the repo's node_modules beside it. */
function checkout(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'ri-build-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ version: '9.9.9' }));
  mkdirSync(join(root, 'slurm'));
  writeFileSync(join(root, 'slurm', 'run-inspect.sbatch'), '#!/bin/bash\n');
  mkdirSync(join(root, 'src'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'src', name), text);
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  return root;
}

async function built(root: string): Promise<string> {
  const file = join(root, 'out.mjs');
  writeFileSync(file, await bundleText(root));
  return file;
}

/** A command that imports a second chunk only when asked to (`heavy`). */
const LIGHT_AND_HEAVY = {
  'cli.ts': "import { shared } from './shared.js';\nvoid (async () => {\n  if (process.argv[2] === 'heavy') { const { heavy } = await import('./heavy.js'); console.log(heavy()); } else console.log(shared());\n})();\n",
  'shared.ts': "export const shared = () => 'light';\n",
  'heavy.ts': "import { shared } from './shared.js';\nconsole.log('heavy chunk evaluated');\nexport const heavy = () => `heavy after ${shared()}`;\n",
};

describe('the bundle', () => {
  it('compiles a command\'s chunk only when the command imports it; its bindings work across chunks', async () => {
    const root = checkout(LIGHT_AND_HEAVY);
    const file = await built(root);
    const env = { XDG_CACHE_HOME: join(root, 'cache-home') };
    expect((await execa('node', [file], { env })).stdout).toBe('light');
    expect((await execa('node', [file, 'heavy'], { env })).stdout).toBe('heavy chunk evaluated\nheavy after light');
  });

  it('keeps V8\'s code cache of each chunk it compiled: read at the next start, replaced when V8 refuses it, and never in the way', async () => {
    const root = checkout(LIGHT_AND_HEAVY);
    const file = await built(root);
    const home = join(root, 'cache-home');
    const run = (args: string[] = [], cacheHome = home) => execa('node', [file, ...args], { env: { XDG_CACHE_HOME: cacheHome } });
    const dir = join(home, 'run-inspect', `${process.version}-${process.arch}`);
    const caches = () => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));

    expect((await run()).stdout).toBe('light');
    const first = caches();
    expect(Object.keys(first).sort()).toEqual([expect.stringMatching(/^chunk-\w+\.js\.\w{8}\.v8$/), expect.stringMatching(/^cli-\w+\.js\.\w{8}\.v8$/)]); // the chunks it ran, not heavy's
    expect((await run()).stdout).toBe('light');
    expect(caches()).toEqual(first); // accepted, so not written again

    // V8 refuses a cache made under other flags: the job's node options get files of their own,
    // and switching between the two leaves both caches as they were.
    const withFlags = () => execa('node', ['--no-use-osr', file], { env: { XDG_CACHE_HOME: home } });
    expect((await withFlags()).stdout).toBe('light');
    const both = caches();
    expect(Object.keys(both)).toHaveLength(4);
    expect(both).toMatchObject(first);
    expect((await run()).stdout).toBe('light');
    expect((await withFlags()).stdout).toBe('light');
    expect(caches()).toEqual(both);

    const name = Object.keys(first).find((f) => f.startsWith('cli-'))!;
    writeFileSync(join(dir, name), 'not a code cache');
    // Other builds' caches: one unwritten for 8 days goes at the next write, a recent one stays.
    for (const [other, days] of [['cli-OLDBUILD.js.5ba93c9d.v8', 8], ['cli-RECENT.js.5ba93c9d.v8', 6]] as const) {
      writeFileSync(join(dir, other), 'another build');
      const when = new Date(Date.now() - days * 86_400_000);
      utimesSync(join(dir, other), when, when);
    }
    expect((await run()).stdout).toBe('light');
    expect(Object.keys(caches())).toContain('cli-RECENT.js.5ba93c9d.v8');
    expect(Object.keys(caches())).not.toContain('cli-OLDBUILD.js.5ba93c9d.v8');
    const rewritten = caches()[name];
    expect(rewritten.length).toBe(first[name].length); // a cache again
    expect((await run()).stdout).toBe('light');
    expect(caches()[name]).toEqual(rewritten); // and accepted

    const notADir = join(root, 'a-file');
    writeFileSync(notADir, '');
    expect(await run(['heavy'], notADir)).toMatchObject({ exitCode: 0, stdout: 'heavy chunk evaluated\nheavy after light', stderr: '' });
  });

  it('refuses a package imported with import(): a CommonJS one would lose its named exports', async () => {
    const root = checkout({ 'cli.ts': "void import('yaml').then(({ parseDocument }) => console.log(typeof parseDocument));\n" });
    await expect(bundleText(root)).rejects.toThrow(/node_modules\/yaml\/.*a package imported with import\(\)/);
  });
});
