/**
 * CPF (Cadastro de Pessoas Físicas), the Brazilian individual taxpayer number: 9 digits plus 2
 * check digits (modulo 11). Accepts the formatted form (529.982.247-25); stores 11 digits.
 */

export const CPF_SYSTEM = 'https://saude.gov.br/fhir/sid/cpf';

/** The 11 digits of a CPF typed with or without its punctuation; undefined if it is not shaped like one. */
export function cpfDigits(text: string): string | undefined {
  const t = text.trim();
  if (!/^(\d{11}|\d{3}\.\d{3}\.\d{3}-\d{2})$/.test(t)) return undefined;
  return t.replace(/\D/g, '');
}

function checkDigit(digits: string, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += Number(digits[i]) * (length + 1 - i);
  const r = (sum * 10) % 11;
  return r === 10 ? 0 : r;
}

/** True for 11 digits whose check digits are right and that are not all the same digit. */
export function isValidCpf(digits: string): boolean {
  if (!/^\d{11}$/.test(digits)) return false;
  if (/^(\d)\1{10}$/.test(digits)) return false;
  return checkDigit(digits, 9) === Number(digits[9]) && checkDigit(digits, 10) === Number(digits[10]);
}

/** The stored form (11 digits) of a CPF, or undefined when it is malformed or its check digits are wrong. */
export function normalizeCpf(text: string): string | undefined {
  const digits = cpfDigits(text);
  return digits !== undefined && isValidCpf(digits) ? digits : undefined;
}
