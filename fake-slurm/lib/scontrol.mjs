// scontrol show job (the controller's view, within MinJobAge), plus hold / release.
import { config } from './config.mjs';
import { err, faultExit, out, parseCommand, VERSION } from './cli.mjs';
import { sweep } from './controller.mjs';
import { elapsedSecs, expectedEnd, knownToController, limitMinutes, priorityOf, reasonOf, scaledLimitSecs, shownState } from './states.mjs';
import { listJobs, readJob, updateJob } from './store.mjs';
import { expandPattern } from './patterns.mjs';
import { fmtDate, fmtMins, fmtSecs, nowSecs, UNLIMITED } from './timefmt.mjs';

const SPEC = [
  { long: 'all', short: 'a', arg: 'none' },
  { long: 'details', short: 'd', arg: 'none' },
  { long: 'help', short: 'h', arg: 'none' },
  { long: 'hide', arg: 'none' },
  { long: 'clusters', short: 'M', arg: 'required' },
  { long: 'oneliner', short: 'o', arg: 'none' },
  { long: 'quiet', short: 'Q', arg: 'none' },
  { long: 'usage', arg: 'none' },
  { long: 'verbose', short: 'v', arg: 'none' },
  { long: 'version', short: 'V', arg: 'none' },
];

const nul = (v) => (v === null || v === undefined || v === '' ? '(null)' : v);

/** The lines of `scontrol show job`, laid out as slurm_sprint_job_info prints them in 22.05. */
export function jobLines(r, now = nowSecs()) {
  const pending = r.state === 'PENDING';
  const cpus = r.cpus_per_task || 1;
  const limit = limitMinutes(r);
  const end = pending ? 0 : r.state === 'RUNNING' && !r.completing && scaledLimitSecs(r) === UNLIMITED ? 0 : expectedEnd(r);
  const depShown = pending ? r.dependency_display ?? (r.dependency ? `${r.dependency}(unfulfilled)` : null) : null;
  const lines = [
    `JobId=${r.id} JobName=${r.name}`,
    `   UserId=${r.user}(${r.uid}) GroupId=${r.group}(${r.gid}) MCS_label=N/A`,
    `   Priority=${priorityOf(r)} Nice=${r.nice || 0} Account=${nul(r.account)} QOS=${nul(r.qos)}`,
    `   JobState=${shownState(r)} Reason=${reasonOf(r)} Dependency=${nul(depShown)}`,
    `   Requeue=1 Restarts=${r.restarts || 0} BatchFlag=1 Reboot=0 ExitCode=${r.exit_code || '0:0'}`,
    `   RunTime=${fmtSecs(elapsedSecs(r, now))} TimeLimit=${limit === UNLIMITED ? 'UNLIMITED' : fmtMins(limit)} TimeMin=N/A`,
    `   SubmitTime=${fmtDate(r.submit_time)} EligibleTime=${fmtDate(r.eligible_time)}`,
    `   AccrueTime=${fmtDate(r.eligible_time)}`,
    `   StartTime=${fmtDate(r.start_time)} EndTime=${fmtDate(end)} Deadline=N/A`,
    `   SuspendTime=None SecsPreSuspend=0 LastSchedEval=${fmtDate(r.start_time || r.submit_time)} Scheduler=Main`,
    `   Partition=${r.partition} AllocNode:Sid=${config.nodeName}:${r.supervisor_pid || 0}`,
    `   ReqNodeList=(null) ExcNodeList=(null)`,
    `   NodeList=${pending ? '(null)' : r.node || '(null)'}`,
  ];
  if (!pending && r.node) lines.push(`   BatchHost=${r.node}`);
  lines.push(
    `   NumNodes=${pending ? '1-1' : '1'} NumCPUs=${cpus} NumTasks=1 CPUs/Task=${cpus} ReqB:S:C:T=0:0:*:*`,
    `   TRES=cpu=${cpus}${r.mem ? `,mem=${r.mem}` : ''},node=1,billing=${cpus}`,
    `   Socks/Node=* NtasksPerN:B:S:C=0:0:*:* CoreSpec=*`,
    `   MinCPUsNode=${cpus} MinMemoryNode=${r.mem || 0} MinTmpDiskNode=0`,
    `   Features=${nul(r.constraint)} DelayBoot=00:00:00`,
    `   OverSubscribe=OK Contiguous=0 Licenses=(null) Network=(null)`,
    `   Command=${nul(r.command)}`,
    `   WorkDir=${r.workdir}`,
  );
  if (r.comment) lines.push(`   Comment=${r.comment} `);
  const shown = (p) => {
    const s = expandPattern(p, r, { display: true });
    return s.startsWith('/') ? s : `${r.workdir}/${s}`;
  };
  lines.push(
    `   StdErr=${shown(r.error ?? r.output ?? 'slurm-%j.out')}`,
    `   StdIn=${r.input ?? '/dev/null'}`,
    `   StdOut=${shown(r.output ?? 'slurm-%j.out')}`,
    `   Power=`,
  );
  if (r.gres) lines.push(`   TresPerNode=gres:${r.gres}`);
  if (r.mail_user || r.mail_type) lines.push(`   MailUser=${nul(r.mail_user)} MailType=${r.mail_type || 'NONE'}`);
  return lines;
}

export function scontrolMain(argv) {
  const parsed = parseCommand(argv, SPEC, { prog: 'scontrol', usage: 'scontrol [<OPTION>] [<COMMAND>]\n' });
  if ('exit' in parsed) return parsed.exit;
  const { o, positionals } = parsed;
  if ((positionals[0] || '').toLowerCase() === 'version') {
    out(VERSION);
    return 0;
  }
  const words = positionals.map((w) => w.toLowerCase());
  const cmd = words[0];
  if (!cmd) {
    err('scontrol: error: fake-slurm has no interactive mode; give a command');
    return 1;
  }

  const fault = faultExit('scontrol');
  if (fault !== null) return fault;
  sweep();

  if ('show'.startsWith(cmd) && cmd.length >= 2) {
    const what = words[1] || '';
    if (!(what && ('jobs'.startsWith(what) || what === 'jobid'))) {
      err(`scontrol: error: fake-slurm only implements "show job"`);
      return 1;
    }
    const now = nowSecs();
    let jobs;
    if (positionals[2] !== undefined) {
      const id = Number(String(positionals[2]).split('.')[0]);
      const r = Number.isInteger(id) ? readJob(id) : null;
      if (!r || !knownToController(r, now)) {
        err('slurm_load_jobs error: Invalid job id specified');
        return 1;
      }
      jobs = [r];
    } else {
      jobs = listJobs().filter((r) => knownToController(r, now));
      if (!jobs.length) {
        out('No jobs in the system\n');
        return 0;
      }
    }
    let text = '';
    for (const r of jobs) {
      const lines = jobLines(r, now);
      text += o.oneliner ? lines.map((l) => l.trim()).join(' ') + '\n' : lines.join('\n') + '\n\n';
    }
    out(text);
    return 0;
  }

  if (cmd === 'hold' || cmd === 'uhold' || cmd === 'release') {
    let rc = 0;
    for (const tok of positionals.slice(1).join(',').split(',').filter(Boolean)) {
      const id = Number(tok);
      const r = readJob(id);
      if (!r || !knownToController(r)) {
        err(`Invalid job id specified for job ${tok}`);
        rc = 1;
        continue;
      }
      if (r.state !== 'PENDING') {
        err(`Job is no longer pending execution for job ${tok}`);
        rc = 1;
        continue;
      }
      updateJob(id, (x) => {
        x.hold = cmd !== 'release';
        x.reason = x.hold ? 'JobHeldUser' : 'None';
      });
    }
    return rc;
  }

  err(`invalid keyword: ${positionals[0]}`);
  return 1;
}
