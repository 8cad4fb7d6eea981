import { beforeAll, describe, expect, it } from 'vitest';
import { readMigration } from '../../../src/project/migrations.js';
import { loadPythonParser, parsePython } from '../../../src/python/parser.js';

beforeAll(() => loadPythonParser());

const read = (source: string) => readMigration(parsePython(source), '0002_x', 'library/migrations/0002_x.py').stateOperations;

describe('what a migration brings into Django\'s state', () => {
  it('reads CreateModel with its field names, as makemigrations writes it', () => {
    const ops = read(`from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
        migrations.CreateModel(
            name='Tag',
            fields=[
                ('slug', models.CharField(max_length=50, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=50, unique=True)),
            ],
            options={'ordering': ['name']},
        ),
    ]
`);
    expect(ops).toEqual([{ kind: 'CreateModel', model: 'Tag', fields: ['slug', 'name'] }]);
  });

  it('reads AddField, RenameField and RenameModel, with keywords or positions, inside SeparateDatabaseAndState too', () => {
    const ops = read(`from django.db import migrations, models
from django.db.migrations import RenameModel


class Migration(migrations.Migration):
    operations = [
        migrations.AddField(model_name="book", name="rating", field=models.IntegerField(null=True)),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RenameField("book", "pages", "page_count")],
        ),
        RenameModel(old_name="Volume", new_name="Book"),
    ]
`);
    expect(ops).toEqual([
      { kind: 'AddField', model: 'book', field: 'rating' },
      { kind: 'RenameField', model: 'book', oldName: 'pages', newName: 'page_count' },
      { kind: 'RenameModel', oldName: 'Volume', newName: 'Book' },
    ]);
  });

  it('reads nothing from a migration that only runs code', () => {
    expect(read('from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunPython(migrations.RunPython.noop)]\n')).toEqual([]);
  });
});
