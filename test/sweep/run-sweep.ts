/** `npm run sweep [example...]`: the field sweep on its own, its table written to test-results/sweep.md. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DJANGO_LINES, ensureDjangoEnv } from '../harness/python-env.js';
import { repoRoot } from '../harness/repo.js';
import { renderSweep, runSweep, sweepCells } from './sweep.js';

const examples = process.argv.length > 2 ? process.argv.slice(2) : ['shop', 'zoo', 'legacy'];
const envs = await Promise.all(DJANGO_LINES.map((line) => ensureDjangoEnv(line)));
const cells = (await Promise.all(examples.map((example) => sweepCells(example, envs[0]!.python)))).flat();
const started = Date.now();
let done = 0;
const results = await runSweep(cells, envs, {
  onResult: (result) => {
    done += 1;
    if (result.outcome === 'failed' || done % 25 === 0) {
      console.error(`[${done}/${cells.length}] ${result.outcome} ${result.app}.${result.model}.${result.field ?? ''} ${result.operation}${result.reason ? `: ${result.reason}` : ''}`);
    }
  },
});
const file = path.join(repoRoot(), 'test-results', 'sweep.md');
await fs.mkdir(path.dirname(file), { recursive: true });
await fs.writeFile(file, renderSweep(results));
console.log(`${results.length} cells in ${Math.round((Date.now() - started) / 1000)} s; written to ${path.relative(process.cwd(), file)}`);
process.exitCode = results.some((r) => r.outcome === 'failed') ? 1 : 0;
