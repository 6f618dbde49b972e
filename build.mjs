// Bundles src/cli.ts into ONE file, dist/run-inspect.mjs, that runs with plain `node` (18+) and no
// node_modules: compute nodes have no npm. `node build.mjs --check` fails when the committed bundle
// differs from what the source builds to (CI runs it).
//
// Cold start: V8 parses every line of a module before it runs any of it, ~50 ms for the whole
// program, though `--version` needs none of it and `status` a third. So the file is a small loader
// and the program's chunks (esbuild's code splitting at each `await import()`), each kept as a
// string and compiled the first time it is required. Scanning a string costs a fraction of parsing
// the code in it.
import { build, transform } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const outfile = 'dist/run-inspect.mjs';

/**
 * esbuild's options for the program of the checkout at `root`, as one ES module (the bench's
 * profiler builds that form, unminified, to name where time goes).
 */
export function bundleOptions(root = process.cwd()) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  // CJS dependencies (write-file-atomic, proper-lockfile, pino) call require and use __filename:
  // give the ESM bundle those names.
  const banner = [
    '#!/usr/bin/env node',
    "import { createRequire as __riCreateRequire } from 'node:module';",
    "import { fileURLToPath as __riFileURLToPath } from 'node:url';",
    "import { dirname as __riDirname } from 'node:path';",
    'const require = __riCreateRequire(import.meta.url);',
    'const __filename = __riFileURLToPath(import.meta.url);',
    'const __dirname = __riDirname(__filename);',
  ].join('\n');
  return {
    absWorkingDir: root,
    entryPoints: ['src/cli.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    minify: true,
    legalComments: 'none',
    banner: { js: banner },
    define: {
      __VERSION__: JSON.stringify(pkg.version),
      __MONITOR_TEMPLATE__: JSON.stringify(readFileSync(join(root, 'slurm', 'run-inspect.sbatch'), 'utf8')),
    },
    logLevel: 'warning',
  };
}

// The loader. Each chunk is a CommonJS module as the text of a function expression (wrapped here, not
// at each start: that copy was ~650 KB a start): `require('./chunk-X.js')` loads a chunk once
// (its exports are getters, so bindings stay live as in ES modules); any other name is node's.
// V8's code cache for each chunk (and the functions a run compiled in it) is kept in
// ~/.cache/run-inspect/<node version>: a start then skips most compiling (~40 ms of ~400). Chunk
// names carry a hash of their code, so a new build never meets an old cache; V8 refuses a cache
// that does not fit, and then it is written anew. V8 also refuses a cache made under other V8
// flags, so each set of node options has its own file (`<chunk>.<options' hash>.v8`): the job's
// node flags (slurm/run-inspect.sbatch) and a user's plain `status` would otherwise replace each
// other's cache at every switch, and each start would compile from scratch. Written at exit,
// atomically; a cache that cannot be read or written only costs that time. Files of other builds
// go after a week unwritten.
const LOADER = `
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
const file = fileURLToPath(import.meta.url);
const nodeRequire = createRequire(import.meta.url);
const cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'run-inspect', process.version + '-' + process.arch);
const flags = createHash('sha1').update(process.execArgv.join('\\0') + '\\0' + (process.env.NODE_OPTIONS || '')).digest('hex').slice(0, 8);
const uncached = [];
const loaded = new Map();
function compile(id) {
  const cacheFile = join(cacheDir, id.slice(2) + '.' + flags + '.v8');
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {}
  const script = new Script(CHUNKS[id], { filename: file + '#' + id.slice(2), cachedData });
  if (!cachedData || script.cachedDataRejected) uncached.push([cacheFile, script]);
  return script.runInThisContext();
}
process.once('exit', () => {
  if (!uncached.length) return;
  for (const [cacheFile, script] of uncached) {
    try {
      mkdirSync(cacheDir, { recursive: true });
      const temp = cacheFile + '.' + hostname() + '.' + process.pid; // a home shared by many nodes
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, cacheFile);
    } catch {}
  }
  // Other builds' caches (every upgrade leaves one) go once unused for a week.
  try {
    for (const name of readdirSync(cacheDir)) {
      const path = join(cacheDir, name);
      if (!Object.hasOwn(CHUNKS, './' + name.slice(0, name.indexOf('.js.') + 3)) && Date.now() - statSync(path).mtimeMs > 7 * 86400000) rmSync(path, { force: true });
    }
  } catch {}
});
function requireChunk(id) {
  if (!Object.hasOwn(CHUNKS, id)) return nodeRequire(id);
  let module = loaded.get(id);
  if (!module) {
    module = { exports: {} };
    loaded.set(id, module);
    compile(id)(module.exports, requireChunk, module, file, dirname(file));
  }
  return module.exports;
}
Object.assign(requireChunk, nodeRequire);
`;

/** The text of dist/run-inspect.mjs for the checkout at `root`. */
export async function bundleText(root = process.cwd()) {
  const { banner, ...options } = bundleOptions(root);
  const split = await build({ ...options, splitting: true, entryNames: '[name]-[hash]', outdir: join(root, 'dist'), write: false, metafile: true });
  const outputs = Object.entries(split.metafile.outputs);
  const [entry] = outputs.find(([, o]) => o.entryPoint === 'src/cli.ts');
  // (`node_modules/...`, or `../x/node_modules/...` when node_modules is a link esbuild resolves)
  const packageChunk = outputs.find(([, o]) => o.entryPoint?.split('/').includes('node_modules'));
  if (packageChunk) throw new Error(`${packageChunk[1].entryPoint}: a package imported with import(); a CommonJS one would lose its named exports: import it statically in a module of ours and import() that module`);
  const chunks = {};
  for (const file of split.outputFiles) {
    // `import()` becomes a require in a resolved promise: a chunk compiled from a string has no module loader.
    const cjs = await transform(file.text, { format: 'cjs', target: 'node18', minify: true, supported: { 'dynamic-import': false }, logLevel: 'silent' });
    if (cjs.warnings.length) throw new Error(`${basename(file.path)}: ${cjs.warnings[0].text}`);
    chunks[`./${basename(file.path)}`] = `(function (exports, require, module, __filename, __dirname) {${cjs.code}\n})`;
  }
  return `#!/usr/bin/env node${LOADER}const CHUNKS = ${JSON.stringify(chunks)};\nrequireChunk(${JSON.stringify(`./${basename(entry)}`)});\n`;
}

// Imported (by the profiler): give the options only. Run: build or check.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

async function main() {
  const code = await bundleText();
  // One non-ASCII character (esbuild leaves them in regex literals) makes the whole bundle a
  // two-byte string that node decodes and V8 scans ~50 ms slower at every start: write \u escapes.
  const wide = /[^\x00-\x7f]/.exec(code);
  if (wide) {
    console.error(`${outfile}: non-ASCII character ${JSON.stringify(wide[0])} near ${JSON.stringify(code.slice(Math.max(0, wide.index - 40), wide.index + 10))}: write it as a \\u escape in the source`);
    process.exit(1);
  }

  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(outfile, 'utf8');
    } catch {}
    if (committed !== code) {
      console.error(`${outfile} is out of date: run \`npm run build\` and commit it.`);
      process.exit(1);
    }
    console.log(`${outfile} matches the source (${code.length} bytes).`);
  } else {
    writeFileSync(outfile, code, { mode: 0o755 });
  }
}
