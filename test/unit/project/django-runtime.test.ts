import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readProjectConfig } from '../../../src/project/config.js';
import { chooseDjangoRuntime, settingsFromManagePySource } from '../../../src/project/introspect.js';

const root = mkdtempSync(join(tmpdir(), 'bg-runtime-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function project(name: string, files: Record<string, string> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manage.py'), 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")\n');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

describe('which Python and which settings Django is asked with', () => {
  it('reads the settings module manage.py sets', () => {
    expect(settingsFromManagePySource("os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings.dev')")).toBe('shop.settings.dev');
    expect(settingsFromManagePySource('print("no settings here")')).toBeNull();
  });

  it('without a hint: python3 on PATH and the settings of manage.py', () => {
    const runtime = chooseDjangoRuntime(project('plain'), {}, {});
    expect(runtime).toMatchObject({ python: 'python3', pythonSource: 'python3 on PATH', settings: 'config.settings', settingsSource: 'manage.py' });
  });

  it("the project's own virtualenv comes before python3", () => {
    const dir = project('venv', { '.venv/pyvenv.cfg': 'home = /usr/bin\n', '.venv/bin/python': '' });
    expect(chooseDjangoRuntime(dir, {}, {})).toMatchObject({ python: join(dir, '.venv', 'bin', 'python'), pythonSource: '.venv/bin/python' });
  });

  it('flags win over BG_PYTHON and DJANGO_SETTINGS_MODULE, which win over the defaults', () => {
    const dir = project('flags', { '.venv/pyvenv.cfg': '', '.venv/bin/python': '' });
    const env = { BG_PYTHON: '/opt/py/bin/python', DJANGO_SETTINGS_MODULE: 'config.settings_ci' };
    expect(chooseDjangoRuntime(dir, {}, env)).toMatchObject({ python: '/opt/py/bin/python', settings: 'config.settings_ci', settingsSource: 'DJANGO_SETTINGS_MODULE' });
    expect(chooseDjangoRuntime(dir, { python: 'bin/py', settings: 'config.prod' }, env)).toMatchObject({
      python: join(dir, 'bin', 'py'),
      pythonSource: '--python',
      settings: 'config.prod',
      settingsSource: '--settings',
    });
    // A bare name is a command on PATH, not a file of the project.
    expect(chooseDjangoRuntime(dir, { python: 'python3.12' }, env).python).toBe('python3.12');
  });

  it('[tool.bg-scaffold] names them for the whole team', () => {
    const dir = project('config', { 'pyproject.toml': '[tool.bg-scaffold]\npython = ".venv/bin/python"\nsettings = "config.settings.production"\n' });
    expect(readProjectConfig(dir)).toMatchObject({ python: '.venv/bin/python', settings: 'config.settings.production' });
    const bad = project('bad-config', { 'pyproject.toml': '[tool.bg-scaffold]\nsettings = "config settings"\n' });
    expect(() => readProjectConfig(bad)).toThrow('pyproject.toml [tool.bg-scaffold]: "settings" must be a dotted settings module, e.g. "config.settings"');
  });
});
