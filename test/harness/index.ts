/** Helpers for tests that need real Python, Django and PostgreSQL. */
export { missingForRealStack, requireRealStack, type StackNeeds } from './availability.js';
export { copyProject, runManage, runManageChecked, tempShopProject, type ManageOptions, type ManageResult } from './django-project.js';
export {
  chooseInterpreter,
  DJANGO_LINES,
  ensureDjangoEnv,
  PROVISION_TIMEOUT_MS,
  ruffBinary,
  squawkBinary,
  type DjangoEnv,
  type DjangoLine,
} from './python-env.js';
export { findPgBinDir, startPostgres, uniqueDatabaseName, type PgServer } from './postgres.js';
export { POSTGRES_FOR_DJANGO, postgresMajorBinDir, type PostgresMajor } from './postgres-majors.js';
export { REAL_STACK_TIMEOUT_MS } from './process.js';
export { repoRoot, shopExampleDir } from './repo.js';
export { sharedPostgres } from './shared.js';
