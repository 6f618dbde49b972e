// Reads an eval SLURM script the way sbatch and bash will, without running anything.
//
//   readEvalScript(text, env, submitDir?) → EvalScript
//   expandOutputPattern(pattern, job)     → the path of the job's output file
//
// sbatch: the `#SBATCH` lines before the first command (a line starting `#SBATCH` at column 0;
// `##SBATCH` and indented ones are comments), split with sbatch's own rules (quotes, backslash,
// an unquoted `#` starts a comment), the last option winning.
// bash: the script's simple commands in order — variable assignments (`VAR=x`, `export VAR=x`;
// one inside an `if` or a function counts too, and a use sees the last assignment before it),
// `cd`, and the `inspect eval` command (also after `time`, `/usr/bin/time -p`, `srun ...`, `exec`,
// `env` or `VAR=x` prefixes), split into words and expanded as bash would: quotes, escapes,
// backslash-newline, ~, $VAR, ${VAR}, ${VAR:-x} ${VAR-x} ${VAR:=x} ${VAR:+x} ${VAR:?x}, and the
// splitting of unquoted expansions. Values come from earlier assignments, then `env`; $PWD follows
// the `cd`s. Never guessed: $(...), `...`, $((...)), ${VAR#x} and the other operators, $1 $@ $$,
// variables set nowhere, and the job's own SLURM_* variables (the caller's environment, often a
// Slurm job itself, has its own): the value is then null and `unresolved`/`warnings` name the
// expression. Pure: no I/O.
import { posix } from 'node:path';

const { isAbsolute } = posix;

export interface SbatchOptions {
  /** `-o`/`--output`, as written (a filename pattern, see expandOutputPattern); `none` → /dev/null. */
  output: string | null;
  /** `-e`/`--error`; null: stderr goes to the output file. */
  error: string | null;
  /** `-J`/`--job-name`; null: sbatch names the job after the script file. */
  jobName: string | null;
  /** GPUs asked for: the last of `--gres=gpu[:type][:N]`, `-G`/`--gpus`, `--gpus-per-node`. */
  gpus: number | null;
  /** `-t`/`--time`, as written. */
  time: string | null;
  /** `-D`/`--chdir`, as written (relative: to the submit folder). */
  chdir: string | null;
}

export interface ModelRef {
  /** Expanded; null when it cannot be. A relative path stays relative: resolve it against workDir. */
  path: string | null;
  /** As written in the script (quotes kept). */
  raw: string;
  /** `-M model_path=` on the inspect line (what inspect loads), else the MODEL_PATH variable. */
  source: 'MODEL_PATH' | 'model_path arg';
  /** The expressions that could not be expanded, e.g. `$(dirname "$0")`, `$SCRATCH (not set)`. */
  unresolved: string[];
}

export interface EvalScript {
  sbatch: SbatchOptions;
  /** The model the job will load; null when the script names none. */
  model: ModelRef | null;
  /** inspect eval's task argument (e.g. `/path/cap.py@capitalization`), expanded. */
  taskSpec: string | null;
  /** `-T key=value` pairs, values expanded and unquoted as bash passes them (inspect then reads them as YAML). */
  taskArgs: Record<string, string>;
  /** Where the inspect line runs (its `cd`s, from `--chdir`); null: the submit folder; relative: to it. */
  workDir: string | null;
  /** `--log-dir`, else INSPECT_LOG_DIR as the inspect command sees it; null: inspect's default `./logs`. */
  logDir: string | null;
  /**
   * One line each: what could not be understood or expanded (the caller prefixes the script path).
   * A model path that cannot be expanded is told by `model.unresolved` only.
   */
  warnings: string[];
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * `env`: the environment the job inherits from sbatch (HOME, USER, ...). `submitDir` (absolute),
 * when known, gives $SLURM_SUBMIT_DIR, and $PWD before any absolute `cd`; without it they are
 * unresolved.
 */
export function readEvalScript(text: string, env: Env, submitDir?: string): EvalScript {
  const warnings: string[] = [];
  if (text.includes('\r\n')) {
    warnings.push('has DOS line breaks (\\r\\n): sbatch refuses to submit it');
    text = text.replace(/\r\n/g, '\n');
  }
  const sbatch = readDirectives(text, warnings);
  const shell = new Shell(env, submitDir ?? null, sbatch.chdir);
  for (const words of commandsOf(text, warnings)) shell.run(words);

  // No `inspect eval` line is no error: a script may call inspect through a wrapper of its own.
  const call = shell.inspect;
  if (shell.extraInspects > 0) warnings.push(`${shell.extraInspects + 1} \`inspect eval\` commands: reading the first`);
  const read = call ? readInspectArgs(call.args, warnings) : null;

  const cwd = call ? call.cwd : shell.cwd;
  if (isUnknown(cwd)) warnings.push(`cannot follow \`cd\` (${cwd.unknown.join(', ')}): relative paths are read from the submit folder`);
  const logDir = read?.logDir ?? (call ? valueOf(call.logDirEnv, 'INSPECT_LOG_DIR', warnings) : null);

  const result: EvalScript = {
    sbatch,
    model: modelOf(read?.modelArg ?? null, call ? call.modelPath : shell.binding('MODEL_PATH'), warnings),
    taskSpec: read?.taskSpec ?? null,
    taskArgs: read?.taskArgs ?? {},
    workDir: isUnknown(cwd) ? null : cwd,
    logDir: logDir === null ? null : logDir.replace(/(.)[/\\]+$/, '$1'), // inspect strips trailing slashes
    warnings,
  };
  // A fresh copy: slices of the script text would keep all of it alive (10,000 scripts at 10,000 evals).
  return structuredClone(result);
}

// ---------------------------------------------------------------------------------------------
// sbatch's reading of #SBATCH lines

const SBATCH_SHORT: Record<string, string> = { o: 'output', e: 'error', J: 'job-name', t: 'time', D: 'chdir', G: 'gpus' };
const SBATCH_READ = new Set(['output', 'error', 'job-name', 'time', 'chdir', 'gres', 'gpus', 'gpus-per-node']);
/** sbatch's short options that take no value. */
const SBATCH_SHORT_FLAGS = 'hHkOQsuvVW';

function readDirectives(text: string, warnings: string[]): SbatchOptions {
  const argv: string[] = [];
  let commandSeen = false;
  text.split('\n').forEach((line, n) => {
    if (line.startsWith('#SBATCH')) {
      if (commandSeen) warnings.push(`line ${n + 1}: sbatch ignores #SBATCH after the first command`);
      else argv.push(...sbatchWords(line.slice('#SBATCH'.length), n + 1, warnings));
    } else if (/^\s+#SBATCH/.test(line)) warnings.push(`line ${n + 1}: sbatch ignores an indented #SBATCH`);
    else if (!/^\s*(#|$)/.test(line)) commandSeen = true;
  });

  const options: SbatchOptions = { output: null, error: null, jobName: null, gpus: null, time: null, chdir: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let name: string;
    let value: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      value = eq < 0 ? undefined : arg.slice(eq + 1);
      // `--name value`: sbatch's long flags are followed by another option, never by a value.
      const next = argv[i + 1];
      if (value === undefined && next !== undefined && !next.startsWith('-')) value = argv[++i];
    } else if (arg.startsWith('-') && arg.length > 1) {
      const letter = arg[1]!;
      name = SBATCH_SHORT[letter] ?? letter;
      value = arg.length > 2 ? arg.slice(2) : SBATCH_SHORT_FLAGS.includes(letter) ? undefined : argv[++i];
    } else {
      warnings.push(`#SBATCH ${arg}: not an option`);
      continue;
    }
    if (!SBATCH_READ.has(name)) continue;
    if (value === undefined || value === '') {
      warnings.push(`#SBATCH --${name} has no value`);
      continue;
    }
    if (name === 'output') options.output = value.toLowerCase() === 'none' ? '/dev/null' : value;
    else if (name === 'error') options.error = value.toLowerCase() === 'none' ? '/dev/null' : value;
    else if (name === 'job-name') options.jobName = value;
    else if (name === 'time') options.time = value;
    else if (name === 'chdir') options.chdir = value;
    else {
      const gpus = name === 'gres' ? gresGpus(value) : countAfterType(value);
      if (gpus === null) warnings.push(`#SBATCH --${name}=${value}: cannot read a GPU count`);
      else if (gpus !== undefined) options.gpus = gpus;
    }
  }
  return options;
}

/** One #SBATCH line's words, as sbatch splits them. */
function sbatchWords(line: string, lineNo: number, warnings: string[]): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) word = (word ?? '') + line[++i];
    else if (quote !== null) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '#') break;
    else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + c;
  }
  if (quote !== null) {
    warnings.push(`line ${lineNo}: unmatched ${quote} in #SBATCH: sbatch refuses the script`);
    return [];
  }
  if (word !== null) words.push(word);
  return words;
}

/** `gpu`, `gpu:4`, `gpu:a100:2` among comma-separated gres; undefined when no gpu is named. */
function gresGpus(gres: string): number | null | undefined {
  for (const entry of gres.split(',')) {
    const parts = entry.replace(/\(.*\)$/, '').split(':');
    if (parts[0] !== 'gpu') continue;
    if (parts.length === 1) return 1;
    const count = countAfterType(parts.slice(1).join(':'));
    return count ?? (parts.length === 2 ? 1 : null); // `gpu:a100`: a type, one GPU
  }
  return undefined;
}

/** `[type:]N` → N. */
function countAfterType(value: string): number | null {
  const last = value.split(':').pop()!;
  return /^\d+$/.test(last) ? Number(last) : null;
}

// ---------------------------------------------------------------------------------------------
// bash: splitting the script into simple commands

/**
 * The script's simple commands, each as its words as written (quotes kept). Commands end at a
 * newline, `;`, `&`, `|`, `&&`, `||`, `(` or `)`; comments, backslash-newlines, redirections and
 * here-documents are dropped.
 */
function commandsOf(text: string, warnings: string[]): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | null = null;
  let redirect: string | null = null; // the operator whose target is the next word
  let heredocs: { delimiter: string; stripTabs: boolean }[] = [];

  const endWord = () => {
    if (word === null) return;
    if (redirect === null) words.push(word);
    else if (redirect === '<<' || redirect === '<<-') heredocs.push({ delimiter: unquote(word), stripTabs: redirect === '<<-' });
    redirect = null;
    word = null;
  };
  const endCommand = () => {
    endWord();
    redirect = null;
    if (words.length > 0) commands.push(words);
    words = [];
  };

  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === '\n') i += 2;
    else if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === '\n') {
      endCommand();
      i = skipHeredocs(text, i + 1, heredocs);
      heredocs = [];
    } else if (c === '#' && word === null) i = lineEnd(text, i);
    else if (c === '<' || c === '>' || (c === '&' && text[i + 1] === '>')) {
      if (word !== null && /^\d+$/.test(word)) word = null; // a file descriptor: `2>/dev/null`
      endWord();
      const op = /^(?:&>>|&>|<<<|<<-|<<|<>|<&|>>|>&|>\||<|>)/.exec(text.slice(i, i + 3))![0];
      redirect = op;
      i += op.length;
    } else if (c === '(' && word !== null && /^[A-Za-z_]\w*\+?=$/.test(word)) {
      const end = scanParens(text, i); // an array: `A=(x y)`
      if (end < 0) return unterminated(text, i, commands, warnings);
      word += text.slice(i, end);
      i = end;
    } else if (';&|()'.includes(c)) {
      endCommand();
      i++;
    } else {
      const end = wordPartEnd(text, i);
      if (end < 0) return unterminated(text, i, commands, warnings);
      word = (word ?? '') + text.slice(i, end);
      i = end;
    }
  }
  endCommand();
  return commands;
}

function unterminated(text: string, at: number, commands: string[][], warnings: string[]): string[][] {
  const line = text.slice(0, at).split('\n').length;
  warnings.push(`line ${line}: unterminated quote or expansion: bash stops with a syntax error`);
  return commands;
}

/** The end of one piece of a word starting at i: a quoted string, an expansion, an escape, or a character; -1 if unterminated. */
function wordPartEnd(text: string, i: number): number {
  const c = text[i];
  const next = text[i + 1];
  if (c === '\\') return Math.min(i + 2, text.length);
  if (c === "'") return closing(text, i + 1, "'");
  if (c === '"') return scanDouble(text, i);
  if (c === '`') return scanBacktick(text, i);
  if (c === '$' && next === '(') return scanParens(text, i + 1);
  if (c === '$' && next === '{') return scanBraces(text, i + 1);
  if (c === '$' && next === "'") return scanAnsiC(text, i + 1);
  return i + 1;
}

/** A scan's end, or the end of the text when the scan found none. */
function endOf(scanned: number, text: string): number {
  return scanned < 0 ? text.length : scanned;
}

function closing(text: string, from: number, quote: string): number {
  const at = text.indexOf(quote, from);
  return at < 0 ? -1 : at + 1;
}

/** `"..."` starting at i. */
function scanDouble(text: string, i: number): number {
  return scanExpanding(text, i, '"');
}

/** `(...)` starting at i, nested and quoted parts included. */
function scanParens(text: string, i: number): number {
  let depth = 0;
  for (let j = i; j < text.length; ) {
    const c = text[j];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return j + 1;
    if (c === '\\') j += 2;
    else if (c === "'") j = closing(text, j + 1, "'");
    else if (c === '"') j = scanDouble(text, j);
    else if (c === '`') j = scanBacktick(text, j);
    else j++;
    if (j < 0) return -1;
  }
  return -1;
}

/** `{...}` of `${...}` starting at i. */
function scanBraces(text: string, i: number): number {
  return scanExpanding(text, i, '}');
}

/**
 * A part that bash expands inside, from its opening at i to `end`: escapes, `` `...` ``, `$(...)`,
 * `${...}` and (in braces) `"..."` are skipped whole, so an `end` within them does not count.
 */
function scanExpanding(text: string, i: number, end: '"' | '}'): number {
  for (let j = i + 1; j < text.length; ) {
    const c = text[j];
    if (c === end) return j + 1;
    if (c === '\\') j += 2;
    else if (c === '"') j = scanDouble(text, j);
    else if (c === '`') j = scanBacktick(text, j);
    else if (c === '$' && text[j + 1] === '(') j = scanParens(text, j + 1);
    else if (c === '$' && text[j + 1] === '{') j = scanBraces(text, j + 1);
    else j++;
    if (j < 0) return -1;
  }
  return -1;
}

/** `` `...` `` starting at i. */
function scanBacktick(text: string, i: number): number {
  return scanToQuote(text, i, '`');
}

/** `$'...'` (its quote at i), where `\'` does not end it. */
function scanAnsiC(text: string, i: number): number {
  return scanToQuote(text, i, "'");
}

/** From the quote at i to the next unescaped `quote`. */
function scanToQuote(text: string, i: number, quote: string): number {
  for (let j = i + 1; j < text.length; j += text[j] === '\\' ? 2 : 1) if (text[j] === quote) return j + 1;
  return -1;
}

function lineEnd(text: string, i: number): number {
  const nl = text.indexOf('\n', i);
  return nl < 0 ? text.length : nl;
}

/** Skips the bodies of the here-documents opened on the line that ended before `from`. */
function skipHeredocs(text: string, from: number, docs: { delimiter: string; stripTabs: boolean }[]): number {
  let i = from;
  for (const doc of docs) {
    while (i < text.length) {
      const end = lineEnd(text, i);
      const line = text.slice(i, end);
      i = end + 1;
      if ((doc.stripTabs ? line.replace(/^\t+/, '') : line) === doc.delimiter) break;
    }
  }
  return Math.min(i, text.length);
}

/** A here-document delimiter as bash compares it: quotes and backslashes removed. */
function unquote(word: string): string {
  return word.replace(/\\(.)|["']/g, '$1');
}

// ---------------------------------------------------------------------------------------------
// bash: running the commands that matter, expanding words

/** A value bash computes only when the job runs; the expressions that stand in the way. */
type Unknown = { unknown: string[] };
/** A variable's value; undefined: not set. */
type Value = string | undefined | Unknown;
interface Binding {
  value: Value;
  /** The assigned text as written. */
  raw: string;
  exported: boolean;
}
/** One word of a command after expansion: value null when it cannot be expanded. */
interface Arg {
  raw: string;
  value: string | null;
  unresolved: string[];
}
/** The folder the shell is in: null = the submit folder; a relative path is relative to it. */
type Cwd = string | null | Unknown;
interface InspectCall {
  /** The words after `inspect eval`. */
  args: Arg[];
  cwd: Cwd;
  modelPath: Binding | undefined;
  logDirEnv: Value;
}

const ASSIGNMENT = /^([A-Za-z_]\w*)(\+?)=/;
const NAME = /^[A-Za-z_]\w*$/;
/** Words that may open a command (`then MODEL_PATH=...`). */
const OPENERS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{']);
const DECLARATIONS = new Set(['export', 'declare', 'typeset', 'readonly', 'local']);
/** Commands that run the command after them (`srun ... inspect eval`). */
const PREFIXES = new Set(['time', 'srun', 'exec', 'env', 'nohup', 'command', 'stdbuf', 'nice', 'timeout']);

function isUnknown(v: unknown): v is Unknown {
  return typeof v === 'object' && v !== null && 'unknown' in v;
}

class Shell {
  private readonly vars = new Map<string, Binding>();
  cwd: Cwd;
  inspect: InspectCall | null = null;
  extraInspects = 0;

  constructor(
    private readonly env: Env,
    private readonly submitDir: string | null,
    chdir: string | null,
  ) {
    this.cwd = chdir;
  }

  binding(name: string): Binding | undefined {
    return this.vars.get(name);
  }

  run(words: string[]): void {
    let k = 0;
    while (k < words.length && OPENERS.has(words[k]!)) k++;
    const prefix: string[] = [];
    while (k < words.length && ASSIGNMENT.test(words[k]!)) prefix.push(words[k++]!);
    if (k === words.length) {
      for (const word of prefix) this.assign(word, false);
      return;
    }
    const command = words[k]!;
    const rest = words.slice(k + 1);
    if (DECLARATIONS.has(command)) return this.declare(command === 'export', rest);
    if (command === 'unset') return this.unset(rest);

    const args = words.slice(k).flatMap((w) => this.expandArg(w));
    if (args[0]?.value === 'cd') return this.cd(args.slice(1));
    const start = inspectStart(args);
    if (start < 0) return;
    if (this.inspect) {
      this.extraInspects++;
      return;
    }
    // Prefix assignments reach the command's environment, not its words.
    this.inspect = { args: args.slice(start), cwd: this.cwd, modelPath: this.vars.get('MODEL_PATH'), logDirEnv: this.commandVariable('INSPECT_LOG_DIR', prefix) };
  }

  private assign(word: string, exported: boolean): void {
    const [, name = '', plus = ''] = ASSIGNMENT.exec(word)!;
    const raw = word.slice(name.length + plus.length + 1);
    let value = this.assignedValue(raw);
    if (plus) value = concat(this.variable(name), value);
    const previous = this.vars.get(name);
    this.vars.set(name, { value, raw, exported: exported || previous?.exported === true || this.env[name] !== undefined });
  }

  private assignedValue(raw: string): Value {
    if (raw.startsWith('(')) return { unknown: [`(${raw.slice(1, 40)}...) (an array)`] };
    const { fields, unresolved } = this.expand(raw, false);
    return unresolved.length > 0 ? { unknown: unresolved } : fields.join('');
  }

  /** `export A=x B`, `declare A=x`, ...: assignments, and names to export. */
  private declare(exports: boolean, words: string[]): void {
    for (const word of words) {
      if (ASSIGNMENT.test(word)) this.assign(word, exports);
      else if (exports && NAME.test(word)) {
        const binding = this.vars.get(word);
        if (binding) binding.exported = true;
      }
    }
  }

  private unset(words: string[]): void {
    if (words.includes('-f')) return;
    for (const name of words) if (NAME.test(name)) this.vars.set(name, { value: undefined, raw: '', exported: false });
  }

  private cd(args: Arg[]): void {
    const target = args.find((a) => a.value === null || !/^-[LPe@]+$/.test(a.value));
    const dir: Value = target === undefined ? this.variable('HOME') : target.value === null ? { unknown: target.unresolved } : target.value;
    if (dir === '-') this.cwd = { unknown: ['cd - (the previous folder)'] };
    else if (dir === undefined) this.cwd = { unknown: ['cd with no folder ($HOME not set)'] };
    else if (isUnknown(dir)) this.cwd = dir;
    else if (isAbsolute(dir)) this.cwd = tidy(dir);
    else if (!isUnknown(this.cwd)) this.cwd = tidy(posix.join(this.cwd ?? '.', dir));
  }

  /** A variable as the command run with these prefix assignments sees it in its environment. */
  private commandVariable(name: string, prefix: string[]): Value {
    const own = prefix.filter((w) => w.startsWith(`${name}=`)).pop();
    if (own !== undefined) return this.assignedValue(own.slice(name.length + 1));
    const binding = this.vars.get(name);
    if (binding) return binding.exported ? binding.value : undefined;
    return this.env[name];
  }

  private variable(name: string): Value {
    const own = this.vars.get(name);
    if (own) return own.value;
    if (name === 'PWD') return this.pwd();
    if (name === 'SLURM_SUBMIT_DIR' && this.submitDir !== null) return this.submitDir;
    if (name.startsWith('SLURM_')) return { unknown: [`$${name} (set by Slurm when the job starts)`] };
    return this.env[name];
  }

  private pwd(): Value {
    if (isUnknown(this.cwd)) return this.cwd;
    if (this.cwd !== null && isAbsolute(this.cwd)) return this.cwd;
    if (this.submitDir === null) return { unknown: ['$PWD (the submit folder is not known here)'] };
    return tidy(posix.join(this.submitDir, this.cwd ?? '.'));
  }

  private expandArg(raw: string): Arg[] {
    const { fields, unresolved } = this.expand(raw, true);
    if (unresolved.length > 0) return [{ raw, value: null, unresolved }];
    return fields.map((value) => ({ raw, value, unresolved: [] }));
  }

  /**
   * A word as bash expands it. `split`: a command's word, where unquoted expansions are split at
   * blanks (and one that expands to nothing disappears); else an assignment's value: one field.
   */
  private expand(raw: string, split: boolean): { fields: string[]; unresolved: string[] } {
    const out = new Fields(split);
    const unresolved: string[] = [];
    let i = 0;
    // Tilde at the start, and after `=` in a word that looks like an assignment (bash does both).
    const tildeAt = raw.startsWith('~') ? 0 : /^[A-Za-z_]\w*=~/.test(raw) ? raw.indexOf('=') + 1 : -1;
    while (i < raw.length) {
      const c = raw[i]!;
      if (i === tildeAt) i = this.tilde(raw, i, out, unresolved);
      else if (c === '\\') {
        out.add(raw[i + 1] ?? '', true);
        i += 2;
      } else if (c === "'") {
        const end = endOf(closing(raw, i + 1, "'"), raw);
        out.add(raw.slice(i + 1, end - 1), true);
        i = end;
      } else if (c === '"') i = this.expandDouble(raw, i, out, unresolved);
      else if (c === '$' || c === '`') {
        const { end, value } = this.expansion(raw, i, unresolved);
        if (value !== null) out.add(value, false);
        i = end;
      } else {
        out.add(c, true);
        i++;
      }
    }
    return { fields: out.done(), unresolved };
  }

  /** `~` or `~/...` → $HOME; `~user` and the rest are not expanded here. */
  private tilde(raw: string, i: number, out: Fields, unresolved: string[]): number {
    const end = raw.slice(i).search(/[/:]|$/) + i;
    if (end === i + 1) {
      const home = this.variable('HOME');
      if (typeof home === 'string') out.add(home, true);
      else unresolved.push(...(isUnknown(home) ? home.unknown : ['~ ($HOME not set)']));
    } else unresolved.push(raw.slice(i, end));
    return end;
  }

  /** `"..."` at i: `\` escapes only $ ` " \ and newline; expansions are not split. */
  private expandDouble(raw: string, i: number, out: Fields, unresolved: string[]): number {
    out.add('', true); // `""` is a word of its own, even empty
    let j = i + 1;
    while (j < raw.length && raw[j] !== '"') {
      const c = raw[j]!;
      if (c === '\\' && j + 1 < raw.length && '$`"\\\n'.includes(raw[j + 1]!)) {
        out.add(raw[j + 1] === '\n' ? '' : raw[j + 1]!, true);
        j += 2;
      } else if (c === '$' || c === '`') {
        const { end, value } = this.expansion(raw, j, unresolved);
        if (value !== null) out.add(value, true);
        j = end;
      } else {
        out.add(c, true);
        j++;
      }
    }
    return j + 1;
  }

  /** The `$...` or backtick expansion at i: its end, and its value (null when not expanded). */
  private expansion(raw: string, i: number, unresolved: string[]): { end: number; value: string | null } {
    const next = raw[i + 1] ?? '';
    const fail = (scanned: number) => {
      const end = endOf(scanned, raw);
      const expr = raw.slice(i, end);
      unresolved.push(expr.length > 80 ? `${expr.slice(0, 77)}...` : expr);
      return { end, value: null };
    };
    if (raw[i] === '`') return fail(scanBacktick(raw, i));
    if (next === '(') return fail(scanParens(raw, i + 1)); // $(...) and $((...))
    if (next === "'") return fail(scanAnsiC(raw, i + 1));
    if (next === '{') {
      const end = endOf(scanBraces(raw, i + 1), raw);
      return { end, value: this.parameter(raw.slice(i, end), unresolved) };
    }
    const name = /^[A-Za-z_]\w*/.exec(raw.slice(i + 1))?.[0];
    if (name) return { end: i + 1 + name.length, value: this.parameter(`$${name}`, unresolved) };
    if (/[0-9@*#?$!-]/.test(next)) return fail(i + 2); // positional and special parameters
    return { end: i + 1, value: '$' }; // a lone `$` is itself
  }

  /** `$NAME`, `${NAME}`, `${NAME:-word}` and the other default/alternative forms. */
  private parameter(expr: string, unresolved: string[]): string | null {
    const braced = expr.startsWith('${');
    const body = braced ? expr.slice(2, -1) : expr.slice(1);
    const m = /^([A-Za-z_]\w*)(?:(:?)([-=+?])([\s\S]*))?$/.exec(body);
    if (!m || (braced && !expr.endsWith('}'))) {
      unresolved.push(expr);
      return null;
    }
    const name = m[1]!;
    const op = m[3] as '-' | '=' | '+' | '?' | undefined;
    const word = m[4] ?? '';
    const value = this.variable(name);
    if (isUnknown(value)) {
      unresolved.push(...value.unknown);
      return null;
    }
    const missing = value === undefined || (m[2] === ':' && value === '');
    const wordValue = (): string | null => {
      const expanded = this.expand(word, false);
      unresolved.push(...expanded.unresolved);
      return expanded.unresolved.length > 0 ? null : expanded.fields.join('');
    };
    switch (op) {
      case undefined:
        if (value !== undefined) return value;
        unresolved.push(`${expr} (not set)`);
        return null;
      case '-':
        return missing ? wordValue() : value!;
      case '=': {
        if (!missing) return value!;
        const assigned = wordValue();
        this.vars.set(name, { value: assigned ?? { unknown: [expr] }, raw: word, exported: this.env[name] !== undefined });
        return assigned;
      }
      case '+':
        return missing ? '' : wordValue();
      default:
        if (!missing) return value!;
        unresolved.push(`${expr} (${name} not set: bash stops the script here)`);
        return null;
    }
  }
}

/** Builds a command word's fields: unquoted expansions split at blanks. */
class Fields {
  private readonly fields: string[] = [];
  private current = '';
  private started = false;

  constructor(private readonly split: boolean) {}

  /** `literal`: quoted or plain text, never split; else an unquoted expansion's value. */
  add(text: string, literal: boolean): void {
    if (literal || !this.split) {
      this.current += text;
      this.started = true;
      return;
    }
    for (const c of text) {
      if (c === ' ' || c === '\t' || c === '\n') {
        if (this.started) this.fields.push(this.current);
        this.current = '';
        this.started = false;
      } else {
        this.current += c;
        this.started = true;
      }
    }
  }

  done(): string[] {
    if (this.started || !this.split) this.fields.push(this.current);
    return this.fields;
  }
}

function concat(a: Value, b: Value): Value {
  if (isUnknown(a) || isUnknown(b)) return { unknown: [...(isUnknown(a) ? a.unknown : []), ...(isUnknown(b) ? b.unknown : [])] };
  return (a ?? '') + (b ?? '');
}

/** Lexically normalised, without a trailing slash: what bash's `cd` keeps in $PWD. */
function tidy(path: string): string {
  return posix.normalize(path).replace(/(.)\/+$/, '$1');
}

function valueOf(value: Value, name: string, warnings: string[]): string | null {
  if (isUnknown(value)) {
    warnings.push(`cannot expand ${name} (${value.unknown.join(', ')})`);
    return null;
  }
  return value || null;
}

// ---------------------------------------------------------------------------------------------
// the inspect command

/** The index just after `inspect eval` in a command, or -1 when it is not one. */
function inspectStart(args: Arg[]): number {
  const command = (k: number) => args[k]?.value?.split('/').pop();
  const isInspect = (k: number) => command(k) === 'inspect' && args[k + 1]?.value === 'eval';
  if (isInspect(0)) return 2;
  if (!PREFIXES.has(command(0) ?? '')) return -1;
  for (let k = 1; k < args.length - 1; k++) if (isInspect(k)) return k + 2;
  return -1;
}

/** inspect eval's options that take no value (the rest take one, as click reads them). */
const INSPECT_FLAGS = new Set(['--trace', '--continue-on-fail', '--logprobs', '--log-images', '--log-model-api', '--log-refusals', '--parallel-tool-calls', '--internal-tools', '--traceback-locals', '--debug', '--debug-errors', '--help']);

interface InspectArgs {
  taskSpec: string | null;
  taskArgs: Record<string, string>;
  modelArg: Arg | null;
  logDir: string | null;
}

function readInspectArgs(args: Arg[], warnings: string[]): InspectArgs {
  const read: InspectArgs = { taskSpec: null, taskArgs: Object.create(null) as Record<string, string>, modelArg: null, logDir: null };
  const tasks: Arg[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const v = arg.value;
    if (v === null || !v.startsWith('-') || v === '-') {
      tasks.push(arg);
      continue;
    }
    if (v === '--') {
      tasks.push(...args.slice(i + 1));
      break;
    }
    const long = v.startsWith('--');
    const eq = long ? v.indexOf('=') : -1;
    const name = long ? (eq < 0 ? v : v.slice(0, eq)) : v.slice(0, 2);
    if (long && eq < 0 && (INSPECT_FLAGS.has(name) || name.startsWith('--no-'))) continue;
    const inline = long ? (eq < 0 ? null : v.slice(eq + 1)) : v.length > 2 ? v.slice(2) : null;
    const value: Arg | undefined = inline !== null ? { raw: arg.raw, value: inline, unresolved: [] } : args[++i];
    if (value === undefined) {
      warnings.push(`inspect eval ${name} has no value`);
      break;
    }
    if (name === '--log-dir') read.logDir = value.value ?? cannotExpand(value, warnings);
    else if (name === '-M' && keyOf(value) === 'model_path') read.modelArg = value;
    else if (name === '-T') {
      const key = keyOf(value);
      if (value.value === null) cannotExpand(value, warnings);
      else if (key !== null) read.taskArgs[key] = value.value.slice(value.value.indexOf('=') + 1);
    }
  }
  if (tasks.length > 1) warnings.push(`inspect eval has ${tasks.length} task arguments (${tasks.map((t) => t.raw).join(' ')}): reading the first`);
  const task = tasks[0];
  if (task) read.taskSpec = task.value ?? cannotExpand(task, warnings);
  return read;
}

/** The key of a `-M`/`-T` `key=value` (inspect turns `-` into `_`); null without `=`. */
function keyOf(arg: Arg): string | null {
  const text = arg.value ?? unquote(arg.raw);
  const eq = text.indexOf('=');
  return eq < 0 ? null : text.slice(0, eq).replace(/-/g, '_');
}

function cannotExpand(arg: Arg, warnings: string[]): null {
  warnings.push(`cannot expand ${arg.raw} (${arg.unresolved.join(', ')})`);
  return null;
}

/** The model path: `-M model_path=` when the inspect line has it, else MODEL_PATH. */
function modelOf(modelArg: Arg | null, variable: Binding | undefined, warnings: string[]): ModelRef | null {
  let model: ModelRef | null = null;
  if (modelArg) {
    const raw = modelArg.raw.replace(/^model[-_]path=/, '');
    const path = modelArg.value === null ? null : modelArg.value.slice(modelArg.value.indexOf('=') + 1);
    model = { path, raw, source: 'model_path arg', unresolved: modelArg.unresolved };
    if (typeof variable?.value === 'string' && path !== null && variable.value !== path) {
      warnings.push(`MODEL_PATH is ${variable.value} but inspect loads ${path} (-M model_path)`);
    }
  } else if (variable && variable.value !== undefined) {
    const path = isUnknown(variable.value) ? null : variable.value;
    model = { path, raw: variable.raw, source: 'MODEL_PATH', unresolved: isUnknown(variable.value) ? variable.value.unknown : [] };
  }
  if (model?.path === '') {
    warnings.push(`the model path ${model.raw} is empty`);
    return null;
  }
  return model;
}

// ---------------------------------------------------------------------------------------------
// sbatch's output file names

export interface OutputJob {
  jobId: string;
  jobName: string;
  user: string;
  /** Absolute: where sbatch ran. */
  submitDir: string;
  /** The script's `--chdir`, when it has one: the job's working folder (relative: to submitDir). */
  chdir?: string | null;
  arrayJobId?: string;
  arrayTaskId?: string;
  /** The job's first node, once known (`%N`). */
  node?: string;
}

/** Slurm's array task id of a job that is not in an array (NO_VAL). */
const NO_ARRAY_TASK = '4294967294';

/**
 * The file sbatch's filename pattern names: %j %J jobid, %x job name, %u user, %A array master
 * job id (the job id outside an array), %a array task id, %b that id modulo 10, %n %t 0 (the batch
 * script is task 0 on node 0), %N the node (left as written until known), %% a `%`; a number
 * after `%` zero-pads numbers (at most 10). %s (the step, written differently by Slurm versions)
 * and unknown letters are left as written. A pattern with a backslash is not expanded, only
 * unescaped. A relative pattern is relative to the job's working folder.
 */
export function expandOutputPattern(pattern: string, job: OutputJob): string {
  const taskId = job.arrayTaskId ?? NO_ARRAY_TASK;
  const values: Record<string, string | undefined> = {
    j: job.jobId,
    J: job.jobId,
    A: job.arrayJobId ?? job.jobId,
    a: taskId,
    b: String(Number(taskId) % 10),
    n: '0',
    t: '0',
    x: job.jobName,
    u: job.user,
    N: job.node,
  };
  const numeric = 'jJAabnt';
  const name = pattern.includes('\\')
    ? pattern.replace(/\\/g, '')
    : pattern.replace(/%(%|(\d*)([A-Za-z]))/g, (whole, _spec: string, width: string | undefined, letter: string | undefined) => {
        if (letter === undefined) return '%';
        const value = values[letter];
        if (value === undefined) return whole;
        return numeric.includes(letter) ? value.padStart(Math.min(Number(width || 0), 10), '0') : value;
      });
  const workDir = job.chdir ? posix.resolve(job.submitDir, job.chdir) : job.submitDir;
  return isAbsolute(name) ? name : posix.join(workDir, name);
}
