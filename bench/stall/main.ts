/** `npm run bench:stall -- [options]`: runs the write-stall benchmark, prints the table, writes the JSON. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../test/harness/repo.js';
import { parseStallArgs, USAGE } from './options.js';
import { markdownReport, type StallReport } from './report.js';
import { runStallBench } from './run.js';

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let options;
  try {
    options = parseStallArgs(argv);
  } catch (error) {
    console.error(`bench:stall: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const out = path.resolve(options.out ?? path.join(repoRoot(), '.cache', 'bench', `stall-${options.rows}.json`));
  await fs.mkdir(path.dirname(out), { recursive: true });
  // The JSON and its table (beside it, .md) are rewritten after every scenario.
  const write = async (report: StallReport) => {
    await fs.writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
    await fs.writeFile(out.replace(/\.json$/, '') + '.md', markdownReport(report));
  };
  const report = await runStallBench(options, { progress: write });
  await write(report);
  console.log(`\n${markdownReport(report)}\nJSON: ${out}`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
