/**
 * The primary key type Django gives models without an explicit one: `default_auto_field` of the
 * app's AppConfig, else `DEFAULT_AUTO_FIELD` in settings. A foreign key column takes the type of
 * the key it points at. Parsers are pure functions of file text; null when not written plainly.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { findSettingsFiles } from './environment.js';
import type { DjangoApp } from './types.js';

/** `default_auto_field = "django.db.models.BigAutoField"` in an apps.py. */
export function defaultAutoFieldFromAppConfig(text: string): string | null {
  return /^[ \t]+default_auto_field\s*=\s*["']([\w.]+)["']/m.exec(text)?.[1] ?? null;
}

/** `DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"` in a settings module. */
export function defaultAutoFieldFromSettings(texts: string[]): string | null {
  for (const text of texts) {
    const found = /^DEFAULT_AUTO_FIELD\s*=\s*["']([\w.]+)["']/m.exec(text)?.[1];
    if (found) return found;
  }
  return null;
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

/** Per app label: its AppConfig's default_auto_field, else the settings' DEFAULT_AUTO_FIELD, else null. */
export async function detectDefaultAutoFields(root: string, apps: DjangoApp[]): Promise<Record<string, string | null>> {
  const settings = await Promise.all((await findSettingsFiles(root)).map(readText));
  const fromSettings = defaultAutoFieldFromSettings(settings.filter((text): text is string => text !== null));
  const result: Record<string, string | null> = {};
  for (const app of apps) {
    const appConfig = await readText(path.join(root, app.dir, 'apps.py'));
    result[app.label] = (appConfig && defaultAutoFieldFromAppConfig(appConfig)) ?? fromSettings;
  }
  return result;
}
