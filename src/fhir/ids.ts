/** FHIR ids (hl7.org/fhir/R4/datatypes.html#id): 1-64 of A-Z a-z 0-9 - . */
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export function isValidId(id: string): boolean {
  return ID.test(id);
}
