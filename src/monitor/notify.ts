// `--notify CMD`: a person's command (mail, a chat hook) run with a text on stdin, never through a
// shell; run-inspect.log names the program only, since its arguments may carry a token or an address.
import { basename } from 'node:path';
import { execa } from 'execa';
import type { Monitor } from './context.js';

export async function notify(m: Monitor, text: string): Promise<void> {
  const cmd = m.options.notify;
  if (!cmd || cmd.length === 0) return;
  const r = await execa(cmd[0]!, cmd.slice(1), { input: text, timeout: 60_000, reject: false });
  const result = r.exitCode === 0 ? 'Sent' : `Failed: ${(r.stderr || r.shortMessage || '').toString().split('\n')[0]}`;
  await m.runlog.write('NOTIFY', basename(cmd[0]!), [['Details', `${cmd.length - 1} arguments, not logged`], ['Result', result]]);
}
