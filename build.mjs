// Bundles src/cli.ts into ONE file, dist/run-inspect.mjs, that runs with plain `node` (18+) and no
// node_modules: compute nodes have no npm. `node build.mjs --check` fails when the committed bundle
// differs from what the source builds to (CI runs it).
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const outfile = 'dist/run-inspect.mjs';

/** esbuild's options for the bundle of the checkout at `root` (the bench's profiler reuses them unminified). */
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

// Imported (by the profiler): give the options only. Run: build or check.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

async function main() {
  const result = await build({ ...bundleOptions(), write: false });
  const code = result.outputFiles[0].text;
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
