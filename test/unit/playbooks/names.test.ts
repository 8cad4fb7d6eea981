import { describe, expect, it } from 'vitest';
import { deriveChangeId, MAX_CHANGE_ID, validateChangeId } from '../../../src/playbooks/names.js';

describe('change ids', () => {
  it('are the model, field and new name, dashed and lower case', () => {
    expect(deriveChangeId(['Order', 'quantity', 'to', 'qty'])).toBe('order-quantity-to-qty');
  });

  it('a long one is shortened to fit the limit, keeps a readable prefix and stays distinct', () => {
    const model = 'ProviderNetworkInterfaceAssignment';
    const a = deriveChangeId([model, 'secondary_ipv6_address_prefix_length', 'to', 'secondary_ipv6_prefix_length_bits']);
    const b = deriveChangeId([model, 'secondary_ipv6_address_prefix_length', 'to', 'secondary_ipv6_prefix_length_total']);
    expect(a.length).toBeLessThanOrEqual(MAX_CHANGE_ID);
    expect(a).toMatch(/^providernetworkinterfaceassignment-secondary-ipv6-address-prefix/);
    expect(a).toMatch(/-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(() => validateChangeId(a)).not.toThrow();
  });

  it('one that fits is left as it is', () => {
    const fits = deriveChangeId(['a'.repeat(40), 'b'.repeat(30), 'to', 'c']);
    expect(fits).toBe(`${'a'.repeat(40)}-${'b'.repeat(30)}-to-c`);
  });
});
