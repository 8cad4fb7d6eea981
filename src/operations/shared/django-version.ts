/** What the project's Django version allows, decided in one place. */

/**
 * True when `version` (`major.minor`, from --django-version or the project's files) is at least
 * `minimum`. An unknown or unreadable version is taken as current.
 */
export function djangoAtLeast(version: string | null, minimum: string): boolean {
  if (version === null) return true;
  const [major = NaN, minor = 0] = version.split('.').map(Number);
  const [wantMajor = 0, wantMinor = 0] = minimum.split('.').map(Number);
  if (Number.isNaN(major)) return true;
  if (major !== wantMajor) return major > wantMajor;
  return Number.isNaN(minor) || minor >= wantMinor;
}

/** Django 5.0 brought `db_default`: before it, a database default takes hand-written SQL. */
export function supportsDbDefault(version: string | null): boolean {
  return djangoAtLeast(version, '5.0');
}
