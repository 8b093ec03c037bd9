/** Binary (hl7.org/fhir/R4/binary.html): raw bytes in and out. */

export function binaryFromRaw(raw: { contentType: string; data: Buffer }, securityContext?: string): fhir4.Binary {
  const binary: fhir4.Binary = {
    resourceType: 'Binary',
    contentType: raw.contentType,
  };
  if (securityContext) binary.securityContext = { reference: securityContext };
  if (raw.data.length > 0) binary.data = raw.data.toString('base64');
  return binary;
}

export function binaryBytes(binary: fhir4.Binary): Buffer {
  return Buffer.from(binary.data ?? '', 'base64');
}
