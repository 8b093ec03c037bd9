/** CPF check digits (src/auth/accounts/cpf.ts): digits or formatted, check digits, repeated digits. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpfDigits, isValidCpf, normalizeCpf } from '../../src/auth/accounts/cpf.js';

describe('CPF', () => {
  it('accepts valid CPFs', () => {
    for (const cpf of ['52998224725', '11144477735', '39053344705', '00000000191']) assert.equal(isValidCpf(cpf), true, cpf);
  });

  it('refuses wrong check digits (either one)', () => {
    for (const cpf of ['52998224724', '52998224715', '52998224700', '11144477736', '11144477745']) assert.equal(isValidCpf(cpf), false, cpf);
  });

  it('refuses CPFs of one repeated digit, though their check digits add up', () => {
    for (let d = 0; d <= 9; d++) assert.equal(isValidCpf(String(d).repeat(11)), false, String(d));
  });

  it('refuses anything that is not 11 digits', () => {
    for (const cpf of ['', '5299822472', '529982247255', '5299822472a', ' 52998224725', '529.982.247-25']) assert.equal(isValidCpf(cpf), false, cpf);
  });

  it('reads the formatted form and plain digits, nothing else', () => {
    assert.equal(cpfDigits('529.982.247-25'), '52998224725');
    assert.equal(cpfDigits(' 52998224725 '), '52998224725');
    assert.equal(cpfDigits('529.982.24725'), undefined);
    assert.equal(cpfDigits('529-982-247.25'), undefined);
    assert.equal(cpfDigits('52998224725x'), undefined);
  });

  it('normalizes to 11 digits only when valid', () => {
    assert.equal(normalizeCpf('529.982.247-25'), '52998224725');
    assert.equal(normalizeCpf('529.982.247-24'), undefined);
    assert.equal(normalizeCpf('111.111.111-11'), undefined);
  });
});
