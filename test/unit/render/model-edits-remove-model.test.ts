import { describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../../src/errors.js';
import { loadPythonParser } from '../../../src/python/parser.js';
import { applyModelEdits } from '../../../src/render/model-edits.js';

await loadPythonParser();

const FILE = 'shop/models.py';
const MARKER = { change: 'drop-shipment', phase: 1, of: 2 };
const remove = (source: string, model: string) => applyModelEdits(source, FILE, [{ kind: 'remove-model', model }], MARKER);

const MODELS = `# Größe 😀: non-ASCII before the target (offsets are UTF-16)
from django.db import models


class Order(models.Model):
    quantity = models.IntegerField()


# Where an order went. Kept for the carrier's API.
@register
class Shipment(models.Model):
    order = models.OneToOneField(Order, on_delete=models.CASCADE)

    def __str__(self):
        return "shipment"


class Invoice(models.Model):  # the last one
    total = models.IntegerField()
`;

describe('remove-model edit', () => {
  it('removes the class with its decorator and the comment right above it; the classes around keep two blank lines', () => {
    expect(remove(MODELS, 'Shipment')).toBe(`# Größe 😀: non-ASCII before the target (offsets are UTF-16)
from django.db import models


class Order(models.Model):
    quantity = models.IntegerField()


class Invoice(models.Model):  # the last one
    total = models.IntegerField()
`);
  });

  it('removes the last class of the file without leaving blank lines at the end', () => {
    expect(remove(MODELS, 'Invoice').endsWith('        return "shipment"\n')).toBe(true);
  });

  it('removes a class at the very top of a file with the blank lines after it', () => {
    const source = 'class A(models.Model):\n    x = 1\n\n\nclass B(models.Model):\n    y = 2\n';
    expect(remove(source, 'A')).toBe('class B(models.Model):\n    y = 2\n');
  });

  it('keeps CRLF line endings and every other byte', () => {
    const crlf = MODELS.replace(/\n/g, '\r\n');
    expect(remove(crlf, 'Shipment')).toBe(remove(MODELS, 'Shipment').replace(/\n/g, '\r\n'));
  });

  it('refuses a class that is not there, with a line a user can act on', () => {
    expect(() => remove(MODELS, 'Parcel')).toThrow(BgScaffoldError);
    expect(() => remove(MODELS, 'Parcel')).toThrow(/no class "Parcel" at module level/);
  });
});
