/**
 * The attribution of one scan: the project's code, its models and the type evaluator, built on
 * first use (a scan whose every hit is prose never builds them) and freed at the end of the scan.
 */
import { posix } from 'node:path';
import { ReferenceAttributor, type Attribution } from './attribution.js';
import { ModelCatalog, type InstalledModel } from './model-catalog.js';
import { ProjectCode, type PythonModule } from './project-code.js';
import type { ReferenceKind } from './python-references.js';
import { TypeEvaluator } from './python-types.js';
import { TemplateAttributor } from './template-attribution.js';

export interface ProjectAttributionInput {
  /** Every Python file of the project (not migrations), relative posix paths. */
  pythonPaths: Iterable<string>;
  /** The files that may declare models (models modules, files that declare fields). */
  modelPaths: () => Iterable<string>;
  /** Python files that mention a template: where the views that render templates are. */
  viewPaths: () => string[];
  read: (path: string) => string | null;
  /** The names looked for: a field a change took away is still its model's for the attribution. */
  targets: AttributionTarget[];
  /** Models of installed apps outside the project, as Django reports them (none when Django was not asked). */
  installedModels?: InstalledModel[];
}

export interface AttributionTarget {
  app: string;
  model: string;
  name: string;
  kind: 'field' | 'model';
}

export class ProjectAttribution {
  readonly code: ProjectCode;
  private parts: { catalog: ModelCatalog; attributor: ReferenceAttributor; templates: TemplateAttributor } | null = null;
  private readonly labels = new Map<string, string | null>();

  constructor(private readonly input: ProjectAttributionInput) {
    this.code = new ProjectCode(input.pythonPaths, input.read);
  }

  private get built(): { catalog: ModelCatalog; attributor: ReferenceAttributor; templates: TemplateAttributor } {
    if (!this.parts) {
      const catalog = new ModelCatalog(this.code, this.input.modelPaths(), (path) => this.appLabelOf(path), this.input.read, this.input.installedModels);
      for (const target of this.input.targets) if (target.kind === 'field') catalog.addGoneField(`${target.app}.${target.model}`, target.name);
      const types = new TypeEvaluator(this.code, catalog);
      this.parts = {
        catalog,
        attributor: new ReferenceAttributor(this.code, catalog, types),
        templates: new TemplateAttributor(types, this.input.viewPaths, this.input.read),
      };
    }
    return this.parts;
  }

  /** The certainty of a Python reference (`kind` as the classifier said) to the target. */
  python(module: PythonModule, index: number, target: AttributionTarget, kind: ReferenceKind): Attribution {
    if (target.kind === 'model') return { certainty: 'certain', reason: `names the model ${target.app}.${target.model}` };
    const { attributor } = this.built;
    const owners = attributor.pythonOwners(module, index, target.name, kind);
    return attributor.decide(owners, `${target.app}.${target.model}`, target.name);
  }

  /** The certainty of a template's `.name` step at `index`. */
  template(path: string, source: string, index: number, target: AttributionTarget): Attribution {
    const { attributor, templates } = this.built;
    const owners = templates.owners(path, source, index);
    return attributor.decide(owners, `${target.app}.${target.model}`, target.name);
  }

  /**
   * Whether no other model has the target's name, as a field or any attribute (a model target is
   * its own name): then every reference to it is certain, whatever its receiver, and the
   * attribution need not look.
   */
  isOnlyModelWithName(target: AttributionTarget): boolean {
    if (target.kind === 'model') return true;
    const key = `${target.app}.${target.model}`;
    const { catalog } = this.built;
    return [...catalog.modelsWithField(target.name), ...catalog.modelsWithName(target.name)].every((model) => model === key);
  }

  /** Whether the code declares `model.name` of `app` as a foreign key or one-to-one field. */
  isRelationField(app: string, model: string, name: string): boolean {
    const kind = this.built.catalog.model(`${app}.${model}`)?.relations.get(name)?.kind;
    return kind === 'fk' || kind === 'o2o';
  }

  /**
   * The label of the app a file belongs to: the nearest folder with an `apps.py` (its AppConfig's
   * `label`, else the last part of its `name`, else the folder's name), a `models.py` or a `models/` package.
   */
  appLabelOf(path: string): string | null {
    for (let dir = posix.dirname(path); ; dir = posix.dirname(dir)) {
      const cached = this.labels.get(dir);
      if (cached !== undefined) return cached;
      const prefix = dir === '.' ? '' : `${dir}/`;
      let label: string | null | undefined;
      if (this.code.paths.has(`${prefix}apps.py`)) {
        const text = this.input.read(`${prefix}apps.py`) ?? '';
        label = /^\s+label\s*=\s*["'](\w+)["']/m.exec(text)?.[1] ?? /^\s+name\s*=\s*["']([\w.]+)["']/m.exec(text)?.[1]?.split('.').pop() ?? posix.basename(dir);
      } else if (this.code.paths.has(`${prefix}models.py`) || this.code.paths.has(`${prefix}models/__init__.py`)) {
        label = posix.basename(dir);
      }
      if (label !== undefined && dir !== '.') {
        this.labels.set(dir, label);
        return label;
      }
      if (dir === '.' || dir === '') {
        this.labels.set(dir, null);
        return null;
      }
    }
  }

  dispose(): void {
    this.code.dispose();
    this.parts = null;
  }
}
