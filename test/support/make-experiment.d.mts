export declare const FIXTURES: string;
export declare const FAKE_INSPECT: string;
export interface EvalDef { run: string; task: string; epoch: number | null }
export declare function keyOf(e: EvalDef): string;
export declare function makeExperiment(
  dir: string,
  o?: {
    fixture?: 'with-status-tables' | 'without-status';
    outcomes?: Record<string, 'success' | 'error' | 'cancelled' | 'crash' | 'hang' | 'exit1'>;
    missingCheckpoints?: string[];
    seconds?: number;
    samples?: number;
    time?: string;
    node?: string;
    evals?: EvalDef[];
    /** A file each eval script waits for before it starts inspect. */
    gate?: string;
  },
): { dir: string; ckDir: string; keys: string[]; evals: EvalDef[] };
