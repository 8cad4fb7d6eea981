import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultAutoFieldFromAppConfig, defaultAutoFieldFromSettings, detectDefaultAutoFields } from '../../../src/project/auto-field.js';
import type { DjangoApp } from '../../../src/project/types.js';

const root = mkdtempSync(path.join(tmpdir(), 'bg-auto-field-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('DEFAULT_AUTO_FIELD', () => {
  it('reads an AppConfig’s default_auto_field and the settings’ DEFAULT_AUTO_FIELD', () => {
    expect(defaultAutoFieldFromAppConfig('class ShopConfig(AppConfig):\n    default_auto_field = "django.db.models.BigAutoField"\n')).toBe('django.db.models.BigAutoField');
    expect(defaultAutoFieldFromAppConfig('class ShopConfig(AppConfig):\n    name = "shop"\n')).toBeNull();
    expect(defaultAutoFieldFromSettings(['DEBUG = True\n', "DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'\n"])).toBe('django.db.models.AutoField');
    expect(defaultAutoFieldFromSettings(['# DEFAULT_AUTO_FIELD = "x"\n'])).toBeNull();
  });

  it("takes the app's own setting first, then the project's, else null", async () => {
    mkdirSync(path.join(root, 'config'));
    writeFileSync(path.join(root, 'config', 'settings.py'), 'DEFAULT_AUTO_FIELD = "django.db.models.AutoField"\n');
    for (const [dir, appConfig] of [['shop', 'class C(AppConfig):\n    default_auto_field = "django.db.models.BigAutoField"\n'], ['billing', 'class C(AppConfig):\n    name = "billing"\n']]) {
      mkdirSync(path.join(root, dir!));
      writeFileSync(path.join(root, dir!, 'apps.py'), appConfig!);
    }
    const apps = [{ label: 'shop', dir: 'shop' }, { label: 'billing', dir: 'billing' }] as DjangoApp[];
    expect(await detectDefaultAutoFields(root, apps)).toEqual({ shop: 'django.db.models.BigAutoField', billing: 'django.db.models.AutoField' });
    rmSync(path.join(root, 'config'), { recursive: true });
    expect((await detectDefaultAutoFields(root, apps)).billing).toBeNull();
  });
});
