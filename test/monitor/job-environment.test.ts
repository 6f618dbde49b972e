// The job this process runs in, read once; and the launch defaults, declared once in the template.
import { describe, expect, it } from 'vitest';
import { jobEnvironment } from '../../src/monitor/job-environment.js';
import { launchDefaults, renderMonitorScript } from '../../src/monitor/template.js';

describe('jobEnvironment', () => {
  it("reads SLURM_JOB_ID, SLURM_JOB_NAME and SLURM_JOB_END_TIME (Slurm 23.02+); nothing outside a job", () => {
    expect(jobEnvironment({ SLURM_JOB_ID: '4242', SLURM_JOB_NAME: 'run-inspect-x', SLURM_JOB_END_TIME: '1764900000' })).toEqual({
      jobId: '4242',
      jobName: 'run-inspect-x',
      endTime: new Date(1764900000 * 1000),
    });
    expect(jobEnvironment({ SLURM_JOB_ID: '7' }).endTime).toBeNull(); // 22.05 sets no end time
    expect(jobEnvironment({})).toEqual({ jobId: null, jobName: null, endTime: null });
  });
});

describe('launchDefaults', () => {
  it("are the template's own #SBATCH lines, so launch, its usage text and a plain sbatch of the script agree", () => {
    const d = launchDefaults();
    expect(d).toEqual({ time: '01:00:00', mem: '1G', nice: '100', signalLeadS: 120 });
    const script = renderMonitorScript('/usr/bin/node', '/opt/run-inspect.mjs', ['/exp']);
    for (const line of [`#SBATCH --time=${d.time}`, `#SBATCH --mem=${d.mem}`, `#SBATCH --nice=${d.nice}`, `#SBATCH --signal=B:USR1@${d.signalLeadS}`]) expect(script).toContain(line);
  });
});
