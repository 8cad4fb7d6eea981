/**
 * The models of installed apps outside the project (django.contrib.auth's `User`, a package's), for
 * the attribution of references: which other models have a name, and what the project's imports of
 * them are. Only Django knows them (their source is not the project's): from the facts Django
 * reported during generation, or from the last report bg-scaffold cached.
 */
import type { DjangoModel } from '../project/types.js';
import type { InstalledModel, RelationField } from './model-catalog.js';

const RELATION_KINDS: Record<string, RelationField['kind']> = { ForeignKey: 'fk', OneToOneField: 'o2o', ManyToManyField: 'm2m' };

export function installedModelsOf(external: Array<{ appLabel: string; model: DjangoModel }>): InstalledModel[] {
  return external
    .filter(({ model }) => !model.abstract)
    .map(({ appLabel, model }) => ({
      key: `${appLabel}.${model.name}`,
      app: appLabel,
      name: model.name,
      module: model.django?.module ?? null,
      fields: model.fields.map((field) => {
        const kind = RELATION_KINDS[field.django?.internalType ?? field.fieldClass];
        if (!kind) return { name: field.name, relation: null };
        const target = field.django?.target;
        const written = /^"(\w+)\.(\w+)"$/.exec(field.relatedModel ?? '');
        return {
          name: field.name,
          relation: {
            kind,
            target: target ? `${target.appLabel}.${target.modelName}` : written ? `${written[1]}.${written[2]}` : null,
            relatedName: field.django?.relatedName ?? null,
          },
        };
      }),
    }));
}
