// run-inspect.log in the workflow's human format, which other tools grep (`Result: Job ID (\d+)`):
//   [YYYY-MM-DD HH:MM:SS] ACTION: Description
//   Key: value
//   <blank line>
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatTimestamp } from '../slurm/time.js';
import { notThroughLinks } from '../state/own-file.js';

export type LogFields = ReadonlyArray<readonly [string, string]>;

export interface LogEntry {
  action: string;
  description: string;
  fields?: LogFields;
}

export interface RunLog {
  write(action: string, description: string, fields?: LogFields): Promise<void>;
  /** Several entries in one append: a poll's state changes are one write, not one per eval. */
  writeAll(entries: LogEntry[]): Promise<void>;
}

export function formatEntry(time: Date, action: string, description: string, fields: LogFields = []): string {
  const oneLine = (s: string) => s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const lines = [`[${formatTimestamp(time)}] ${action}: ${oneLine(description)}`];
  for (const [key, value] of fields) lines.push(`${key}: ${oneLine(value)}`);
  return `${lines.join('\n')}\n\n`;
}

/**
 * Appends `text` in one O_APPEND write, so concurrent writers never interleave lines; never through a
 * symbolic link (in a shared experiment folder someone else's link would send our lines elsewhere).
 */
export async function appendWhole(file: string, text: string): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o666).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'ELOOP' ? notThroughLinks(file) : e;
  });
  try {
    let bytes = Buffer.from(text);
    while (bytes.length > 0) bytes = bytes.subarray((await handle.write(bytes)).bytesWritten);
  } finally {
    await handle.close();
  }
}

/**
 * Appends whole entries (appendWhole), so concurrent writers never interleave lines.
 * The log's folder is made on first use (cruijff_kit's `logs/` may not exist yet).
 */
export function fileRunLog(file: string, clock: () => Date = () => new Date()): RunLog {
  let folder: Promise<unknown> | null = null;
  const append = async (text: string) => {
    folder ??= mkdir(dirname(file), { recursive: true });
    await folder;
    await appendWhole(file, text);
  };
  return {
    write: (action, description, fields) => append(formatEntry(clock(), action, description, fields)),
    writeAll: async (entries) => {
      const time = clock();
      if (entries.length > 0) await append(entries.map((e) => formatEntry(time, e.action, e.description, e.fields)).join(''));
    },
  };
}
