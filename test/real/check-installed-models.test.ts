/**
 * `check` knows the installed apps' models the way Django does (DESIGN §5): django.contrib.auth's
 * `User` has an `email`, like the shop's `Customer`, and its source is not the project's. After
 * renaming `Customer.email`, a hit on `User` is the other model's, and a receiver nothing says
 * anything about is only possible; without Django, both look like the customer's.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { requireRealStack } from '../harness/availability.js';
import { copyProject } from '../harness/django-project.js';
import { type DjangoEnv, ensureDjangoEnv, PROVISION_TIMEOUT_MS } from '../harness/python-env.js';
import { shopExampleDir } from '../harness/repo.js';

const decision = requireRealStack({ django: ['5.2'] });
const work = mkdtempSync(join(tmpdir(), 'bg-check-installed-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const STAFF = `from django.contrib.auth.models import User

from shop.models import Customer


def notify_staff(customer_id):
    customer = Customer.objects.get(pk=customer_id)
    staff = User.objects.filter(email__endswith="@shop.example")
    return customer.email, list(staff)


def greet(someone):
    return someone.email
`;

/** An e-mail template in a folder only the settings say templates are loaded from. */
const WELCOME = 'Hello {{ customer.name }},\n\nWe will write to {{ customer.email }} when your order ships.\n';

/** The shop's settings with TEMPLATES' DIRS naming mail/. */
function withMailTemplates(settings: string): string {
  const edited = settings.replace('"DIRS": [],', '"DIRS": [BASE_DIR / "mail"],');
  if (edited === settings) throw new Error('the shop’s settings no longer say "DIRS": [],');
  return edited;
}

interface Finding {
  file: string;
  line: number;
  certainty?: string;
}

/** `file:line certainty` of every reference finding in `file`. */
function findingsIn(stdout: string, file: string): string[] {
  const report = JSON.parse(stdout) as { changes: Array<{ findings: Array<Finding & { rule: string }> }> };
  return report.changes
    .flatMap((change) => change.findings)
    .filter((finding) => finding.rule === 'reference' && finding.file === file)
    .map((finding) => `${finding.file}:${finding.line} ${finding.certainty}`);
}

const staffFindings = (stdout: string) => findingsIn(stdout, 'shop/staff.py');

describe.skipIf(decision === 'skip')('check: the installed apps’ models, from Django', () => {
  let env: DjangoEnv;
  const project = join(work, 'shop');
  const check = (args: string[], python = env.python) =>
    runCli(['check', '--project', project, '--max-age', 'off', '--json', ...args], { env: { BG_PYTHON: python } });

  beforeAll(async () => {
    env = await ensureDjangoEnv('5.2');
    await copyProject(shopExampleDir(), project);
    writeFileSync(join(project, 'shop', 'staff.py'), STAFF);
    mkdirSync(join(project, 'mail'));
    writeFileSync(join(project, 'mail', 'welcome.txt'), WELCOME);
    const settings = join(project, 'config', 'settings.py');
    writeFileSync(settings, withMailTemplates(readFileSync(settings, 'utf8')));
    // Generated without Django: no report is cached, so check knows only the project's source.
    const generated = await runCli(['rename-column', '--project', project, '--app', 'shop', '--model', 'Customer', '--field', 'email', '--to', 'contact_email', '--yes', '--no-django']);
    expect(generated.code, generated.stderr).toBe(0);
  }, PROVISION_TIMEOUT_MS);

  it('without Django, User.objects.filter(email__…) and someone.email are counted as the customer’s', async () => {
    const run = await check(['--no-django']);
    expect(run.code, run.stderr).toBe(1);
    expect(staffFindings(run.stdout)).toEqual(['shop/staff.py:8 certain', 'shop/staff.py:9 certain', 'shop/staff.py:13 certain']);
  });

  it('with --django, the User query is auth.User’s (dropped) and someone.email only possible', async () => {
    const run = await check(['--django']);
    expect(run.code, run.stderr).toBe(1);
    expect(staffFindings(run.stdout)).toEqual(['shop/staff.py:9 certain', 'shop/staff.py:13 possible']);
  });

  it('by default, check reads the report the last run cached, and starts no Python', async () => {
    // The --django run above cached Django's report; an interpreter that cannot run proves none is started.
    const run = await check([], '/nonexistent/python');
    expect(run.code, run.stderr).toBe(1);
    expect(staffFindings(run.stdout)).toEqual(['shop/staff.py:9 certain', 'shop/staff.py:13 possible']);
  });

  it('a text template in a folder the settings name (DIRS) is a template only Django knows of: read with --django and from its cached report', async () => {
    const without = await check(['--no-django']);
    expect(findingsIn(without.stdout, 'mail/welcome.txt')).toEqual([]);
    const asked = await check(['--django']);
    expect(findingsIn(asked.stdout, 'mail/welcome.txt')).toEqual(['mail/welcome.txt:3 certain']);
    const cached = await check([], '/nonexistent/python');
    expect(findingsIn(cached.stdout, 'mail/welcome.txt')).toEqual(['mail/welcome.txt:3 certain']);
  });

  it('generation that asks Django lists the reference in that template too, as check counts it', async () => {
    const run = await runCli(['rename-column', '--project', project, '--app', 'shop', '--model', 'Customer', '--field', 'name', '--to', 'full_name', '--dry-run', '--yes', '--python', env.python]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).toContain('mail/welcome.txt:1: ');
  });

  it.each([[['--django']], [['--python', '/nonexistent/python']]])('%j when Django cannot be asked: one line, exit 2', async (args) => {
    const run = await check(args, '/nonexistent/python');
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^bg-scaffold: --django: Django could not be asked \(.+\); pass --no-django to check without it/);
  });
});
