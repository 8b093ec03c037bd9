import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedDatabase } from '../../src/store/embedded/index.js';

it('a data directory whose name has a dot in it opens as a directory', async () => {
  const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'fhir-dir-'));
  const dir = path.join(parent, 'fhirdata.v2');
  await fs.mkdir(dir);
  try {
    const db = await openEmbeddedDatabase(dir);
    await db.collection('x').insertOne({ _id: 'a', n: 1 });
    await db.close();
    const again = await openEmbeddedDatabase(dir);
    assert.deepEqual(await again.collection('x').findOne({ _id: 'a' }), { _id: 'a', n: 1 });
    await again.close();
    assert.deepEqual((await fs.readdir(parent)).sort(), ['fhirdata.v2']);
  } finally {
    await fs.rm(parent, { recursive: true, force: true });
  }
});
